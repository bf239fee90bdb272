import { announce, dandelion, diffusion, flood, gnutella, gossipsub, type Strategy } from '@hearsay/gossip'
import type { RelayName } from './relay-names.ts'

export { RELAYS, isRelayName, type RelayName } from './relay-names.ts'

/**
 * The gossip strategy of each `--relay` name. Delays are shorter than Bitcoin Core's (2 s / 5 s)
 * so that a devnet on one machine converges in well under a second per hop; Dandelion++ fluffs
 * into diffusion, as the paper intends.
 */
export function relayStrategy (name: RelayName): Strategy {
  switch (name) {
    case 'dandelion': return dandelion({ embargoMs: 5_000, fluff: diffusion({ meanDelayMs: { outbound: 100, inbound: 250 } }) })
    case 'diffusion': return diffusion({ meanDelayMs: { outbound: 100, inbound: 250 } })
    case 'flood': return flood()
    case 'gnutella': return gnutella({ ttl: 7 })
    case 'announce': return announce()
    case 'gossipsub': return gossipsub()
  }
}
