/**
 * `@hearsay/discovery`: joining a network and staying well connected. Peer exchange
 * (`/hearsay/pex/1.0.0`) feeds an eclipse-resistant address book modelled on Bitcoin Core's
 * addrman (`new` and `tried` tables bucketed by netgroup, random selection, test-before-evict,
 * feelers, anchors, one outbound connection per netgroup, inbound eviction by diversity).
 *
 * The service is also a libp2p peer-discovery module. The libp2p-free core (address book,
 * netgroups, outbound planning, inbound eviction) is available alone as
 * `@hearsay/discovery/address-book`.
 *
 * @packageDocumentation
 * @module @hearsay/discovery
 */
export { discovery, DEFAULT_ANCHORS_KEY } from './service.ts'
export type { Discovery, DiscoveryInit, DiscoveryComponents, DiscoveryStats } from './types.ts'
export { DiscoveryOptionError } from './errors.ts'
export { PEX_PROTOCOL, PEX_LIMITS, decodePexFrame, encodePexRequest, encodePexResponse, readPexPeers } from './pex.ts'
export type { PexLimits, PexAnswer } from './pex.ts'
export { PexMessage, PexRequest, PexResponse, PexPeer } from './pb/pex.ts'
export * from './core.ts'
