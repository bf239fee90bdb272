/**
 * `@hearsay/gossip`: publish/subscribe for libp2p with a relay strategy chosen per topic —
 * flooding, Gnutella's TTL, Bitcoin's diffusion, Dandelion++, inv/getdata announcements, or
 * gossipsub — behind one API and one wire protocol, `/hearsay/gossip/1.0.0`.
 *
 * The strategies are sans-IO cores, also exported alone from `@hearsay/gossip/strategies`.
 *
 * @packageDocumentation
 * @module @hearsay/gossip
 */
import { GossipService } from './service.ts'
import type { Gossip, GossipComponents, GossipInit } from './types.ts'

/**
 * The gossip service factory, for `services: { gossip: gossip() }` of a libp2p node. Reports
 * misbehaviour to the node's `scoring` service when it has one.
 */
export function gossip (init: GossipInit = {}): (components: GossipComponents) => Gossip {
  return components => new GossipService(components, init)
}

export { gossipsub } from './gossipsub.ts'
export { GossipError } from './errors.ts'
export { GOSSIP_PROTOCOL, WIRE_DEFAULTS } from './wire.ts'
export type { GossipWireLimits } from './wire.ts'
export * from './strategies/index.ts'
export type {
  Gossip, GossipInit, GossipComponents, GossipEvents, GossipMessageEvent, GossipsubSpec, ReceivedMessage,
  Strategy, SubscribeOptions, ValidatedMessage, Validator
} from './types.ts'
