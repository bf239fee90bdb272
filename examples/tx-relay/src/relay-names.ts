/** The relay strategies a node can run, by the name `--relay` takes (apart from strategies.ts, so the CLI parses flags without loading libp2p). */
export const RELAYS = ['dandelion', 'diffusion', 'flood', 'gnutella', 'announce', 'gossipsub'] as const
export type RelayName = typeof RELAYS[number]

export function isRelayName (name: string): name is RelayName {
  return (RELAYS as readonly string[]).includes(name)
}
