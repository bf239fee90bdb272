import { announce, dandelion, diffusion, flood, gnutella, gossipsub, type Strategy } from '@hearsay/gossip'

/** The relay strategies a node can run, by the name `--relay` takes. */
export const RELAYS = ['dandelion', 'diffusion', 'flood', 'gnutella', 'announce', 'gossipsub'] as const
export type RelayName = typeof RELAYS[number]

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

export function isRelayName (name: string): name is RelayName {
  return (RELAYS as readonly string[]).includes(name)
}
