/** The relay strategies a node can run, by the name `--relay` takes (apart from strategies.ts, so the CLI parses flags without loading libp2p). */
export const RELAYS = ['dandelion', 'diffusion', 'flood', 'gnutella', 'announce', 'gossipsub'] as const
/** A relay strategy's name. */
export type RelayName = typeof RELAYS[number]

/** Whether `name` is one of {@link RELAYS}. */
export function isRelayName (name: string): name is RelayName {
  return (RELAYS as readonly string[]).includes(name)
}
