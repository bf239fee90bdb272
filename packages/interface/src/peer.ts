/**
 * How a sans-IO core names a peer: the peer id's string form (`peerId.toString()`).
 *
 * Cores use strings rather than `PeerId` objects so they stay free of libp2p and cheap to hold
 * by the hundred thousand in the simulator; adapters convert at the edge.
 */
export type PeerKey = string

/** Which side opened the connection to a peer; several strategies treat the two differently. */
export type Direction = 'inbound' | 'outbound'
