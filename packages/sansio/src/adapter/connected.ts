import { LimitedConnectionError, NotFoundError } from '@libp2p/interface'
import type { AbortOptions, Connection, PeerId, Stream } from '@libp2p/interface'

/** Where {@link streamToConnected} finds the host's connections (a libp2p `ConnectionManager` fits). */
export interface ConnectionSource {
  /** The open (and opening, closing) connections, to `peer` when given. */
  getConnections: (peer?: PeerId) => Connection[]
}

/** Options of {@link streamToConnected}. */
export interface StreamToConnectedOptions extends AbortOptions {
  /** Use a limited (relayed) connection when the peer has no other; default false. */
  runOnLimitedConnection?: boolean
}

/**
 * Open a `protocol` stream to `peer` on a connection the host already holds, never dialling.
 * For protocols that only talk to neighbours: libp2p's `openStream(peer)` dials the peer
 * again whenever its only connections are limited ones (relayed, looking for a direct one),
 * so a question to a peer met through a relay would cost a fresh circuit through that relay,
 * or a dial to an address that never answers, every time. Prefers a direct connection, then
 * any unlimited one, then (when allowed) a limited one.
 *
 * @throws NotFoundError when no connection to `peer` is open
 * @throws LimitedConnectionError when only limited ones are and `runOnLimitedConnection` is not set
 */
export async function streamToConnected (connections: ConnectionSource, peer: PeerId, protocol: string, options: StreamToConnectedOptions = {}): Promise<Stream> {
  const open = connections.getConnections(peer).filter(c => c.status === 'open')
  const unlimited = open.filter(c => c.limits == null)
  const connection = unlimited.find(c => c.direct) ?? unlimited[0] ?? (options.runOnLimitedConnection === true ? open[0] : undefined)
  if (connection == null) {
    if (open.length > 0) throw new LimitedConnectionError(`only limited connections to ${peer.toString()}`)
    throw new NotFoundError(`not connected to ${peer.toString()}`)
  }
  return await connection.newStream(protocol, options)
}
