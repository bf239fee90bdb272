import { peerOf } from './ip.ts'
import type { ConnectionGater, MultiaddrConnection, PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

/** The one question a scoring gater asks: should this peer, or this address, be refused? */
export interface GaterPolicy {
  /**
   * `true` to refuse. `peer` is a peer id string when known, `addr` the remote address when
   * known; either may be missing (an inbound socket before its handshake has no peer yet).
   */
  refuses(peer: string | undefined, addr: Multiaddr | undefined): boolean
}

/**
 * A libp2p `ConnectionGater` that refuses banned peers at every checkpoint libp2p offers:
 * before dialling (by peer id and by address), as soon as an inbound socket is accepted (by
 * IP, for repeat offenders), right after the encryption handshake authenticates the remote
 * peer, and after upgrade and for relays (for transports that skip a step).
 *
 * `policy` is looked up on every call, so the gater can be handed to `createLibp2p` before the
 * scoring service exists; until then it refuses nothing. It never throws: a failing check
 * lets the connection through rather than taking the connection manager down.
 */
export function scoringConnectionGater (policy: () => GaterPolicy | undefined): ConnectionGater {
  const refuses = (peer: PeerId | string | undefined, addr?: Multiaddr): boolean => {
    try {
      return policy()?.refuses(peer?.toString(), addr) ?? false
    } catch {
      return false
    }
  }
  return {
    denyDialPeer: (peer: PeerId) => refuses(peer),
    denyDialMultiaddr: (addr: Multiaddr) => refuses(peerOf(addr), addr),
    denyInboundConnection: (maConn: MultiaddrConnection) => refuses(undefined, maConn.remoteAddr),
    denyOutboundConnection: (peer: PeerId, maConn: MultiaddrConnection) => refuses(peer, maConn.remoteAddr),
    denyInboundEncryptedConnection: (peer: PeerId, maConn: MultiaddrConnection) => refuses(peer, maConn.remoteAddr),
    denyOutboundEncryptedConnection: (peer: PeerId, maConn: MultiaddrConnection) => refuses(peer, maConn.remoteAddr),
    denyInboundUpgradedConnection: (peer: PeerId, maConn: MultiaddrConnection) => refuses(peer, maConn.remoteAddr),
    denyOutboundUpgradedConnection: (peer: PeerId, maConn: MultiaddrConnection) => refuses(peer, maConn.remoteAddr),
    denyInboundRelayReservation: (source: PeerId) => refuses(source),
    denyOutboundRelayedConnection: (source: PeerId, destination: PeerId) => refuses(source) || refuses(destination),
    denyInboundRelayedConnection: (_relay: PeerId, remote: PeerId) => refuses(remote)
  }
}
