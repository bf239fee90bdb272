/**
 * Shared types of hearsay. Types only: importing this package runs no code.
 *
 * @packageDocumentation
 */
export type { Clock, Rng } from './time.ts'
export type { PeerKey, Direction } from './peer.ts'
export type { Infraction, InfractionName, KnownInfraction, PeerReporter } from './infraction.ts'
export type { ProtocolId, WireLimits, Decoded } from './wire.ts'
export type {
  MessageId, GossipMessage, GossipFrame, StrategyContext, HopInfo, GossipStrategy, StrategySpec
} from './gossip.ts'
