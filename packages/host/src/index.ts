/**
 * `createHost()`: one js-libp2p 3 node on which every hearsay service (and the user's own)
 * runs. See `@hearsay/host/testnet` for N nodes in one process.
 *
 * @packageDocumentation
 * @module @hearsay/host
 */
export { createHost, DHT_SELF_QUERY_INTERVAL_MS, HEARSAY_DHT_PROTOCOL } from './host.ts'
export { LOOKUP_CONNECTION_IDLE_MS } from './lookup-connections.ts'
export type { Host, DefaultServices, DefaultServiceName, HostServices, LeftOut } from './host.ts'
export type { HostOptions, HostDHTInit } from './options.ts'
export { InvalidOptionError } from './errors.ts'
export { guardedYamux, rttFromKeepAlive, KEEP_ALIVE_INTERVAL_MS, KEEP_ALIVE_TIMEOUT_MS, DIALLER_QUIET_FACTOR, RTT_MAX_AGE_MS, type GuardedYamuxInit } from './guarded-yamux.ts'
export { coalescedTcp } from './coalesced-tcp.ts'
export { hostNoiseCrypto } from './noise-crypto.ts'
export { withCheapNoiseLengths, noiseMessageLength } from './noise-length.ts'
export { withCachedSigning } from './signing-key.ts'
export { IDENTITY_FILE } from './identity.ts'
export type { NatInit } from './nat.ts'
export { ObservedAddresses, type ObservedAddressesInit, type ObservedAddressesComponents } from './observed-addresses.ts'
export { hideLoopbackWhenReachable } from './announce.ts'
