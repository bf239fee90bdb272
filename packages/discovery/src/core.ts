/**
 * The libp2p-free core of `@hearsay/discovery`: the whole discovery policy
 * ({@link DiscoveryPolicy}: events in, actions out), and the parts it is made of: the address
 * book, netgroups, outbound planning, inbound eviction and anchor records. Deterministic given a `Clock` and an `Rng`, so the
 * simulator and unit tests drive the same code the service runs.
 *
 * @packageDocumentation
 * @module @hearsay/discovery/address-book
 */
export { AddressBook, AddressBookOptionError, ADDRESS_BOOK_DEFAULTS, LOCAL_SOURCE } from './address-book.ts'
export type {
  AddressBookOptions, AddressBookStats, AddressEntry, AddressSource, AddOptions, GoodResult, SelectOptions, Table
} from './address-book.ts'
export { defaultNetgroup, ipOf, UNKNOWN_NETGROUP } from './netgroup.ts'
export type { Netgroup } from './netgroup.ts'
export { planOutbound, planFeeler, mayDial, FAILED_RETRY_MS } from './outbound.ts'
export type { OutboundState } from './outbound.ts'
export { selectInboundToEvict } from './eviction.ts'
export type { InboundCandidate, EvictionOptions } from './eviction.ts'
export { encodeAnchors, decodeAnchors, MAX_ANCHORS } from './anchors.ts'
export type { Anchor } from './anchors.ts'
export { KeyedHash } from './hash.ts'
export { addrString, isUnspecified, usableAddrs } from './addrs.ts'
export { DiscoveryPolicy, DISCOVERY_DEFAULTS, ROUND_JITTER, ANSWER_SHARE, ANSWER_FLOOR, INBOUND_GRACE_MS, INBOUND_GRACE_SLOTS, policyNumbers } from './policy.ts'
export type { DiscoveryPolicyOptions, PolicyNumbers, ConnectionInfo, DialOutcome, DiscoveryAction, PolicyStats } from './policy.ts'
export type { PexRecord } from './pex.ts'
