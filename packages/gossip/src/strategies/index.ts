/**
 * The libp2p-free half of `@hearsay/gossip`: the topic router and every relay strategy as
 * sans-IO cores, for the simulator, for unit tests and for other transports.
 *
 * @packageDocumentation
 * @module @hearsay/gossip/strategies
 */
export { TopicRouter, ROUTER_DEFAULTS } from '../router.ts'
export type { RouterEffects, RouterLimits, TopicStats, TopicRouterInit, ValidationResult } from '../router.ts'
export { flood } from './flood.ts'
export { gnutella } from './gnutella.ts'
export type { GnutellaOptions } from './gnutella.ts'
export { diffusion } from './diffusion.ts'
export type { DiffusionOptions, DiffusionTimer } from './diffusion.ts'
export { dandelion } from './dandelion.ts'
export type { DandelionOptions, DandelionTimer, DandelionEpochTimer, DandelionEmbargoTimer } from './dandelion.ts'
export { announce } from './announce.ts'
export type { AnnounceOptions, AnnounceTimer } from './announce.ts'
