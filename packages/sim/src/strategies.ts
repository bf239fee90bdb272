import { announce, dandelion, diffusion, flood, gnutella } from '@hearsay/gossip/strategies'
import type { StrategySpec } from '@hearsay/interface'

/** The strategies the simulator runs: every hearsay core. `gossipsub()` wraps `@libp2p/gossipsub` and is not a core. */
export const STRATEGY_NAMES = ['flood', 'gnutella', 'diffusion', 'dandelion', 'announce'] as const

/** One of {@link STRATEGY_NAMES}. */
export type StrategyName = typeof STRATEGY_NAMES[number]

/** Options of the named strategies, as the CLI passes them. */
export interface StrategyOptions {
  /** gnutella's TTL. @default 7 */
  ttl?: number
}

/** A strategy spec by name, with its defaults (as an application gets it). */
export function strategyByName (name: string, options: StrategyOptions = {}): StrategySpec {
  switch (name) {
    case 'flood': return flood()
    case 'gnutella': return gnutella(options.ttl == null ? {} : { ttl: options.ttl })
    case 'diffusion': return diffusion()
    case 'dandelion': return dandelion()
    case 'announce': return announce()
    case 'gossipsub':
      throw new RangeError('gossipsub() wraps @libp2p/gossipsub, not a sans-IO core: the simulator cannot run it')
    default:
      throw new RangeError(`unknown strategy "${name}" (known: ${STRATEGY_NAMES.join(', ')})`)
  }
}
