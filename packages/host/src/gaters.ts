import type { ConnectionGater } from '@libp2p/interface'

type GaterMethod = keyof ConnectionGater

const METHODS: GaterMethod[] = [
  'denyDialPeer', 'denyDialMultiaddr', 'denyInboundConnection', 'denyOutboundConnection',
  'denyInboundEncryptedConnection', 'denyOutboundEncryptedConnection',
  'denyInboundUpgradedConnection', 'denyOutboundUpgradedConnection', 'denyInboundRelayReservation',
  'denyOutboundRelayedConnection', 'denyInboundRelayedConnection', 'filterMultiaddrForPeer'
]

/**
 * One gater from several: a connection is denied when any gater denies it, and an address is
 * kept only when every gater keeps it. Lets a user's own gater sit beside scoring's.
 */
export function combineGaters (...gaters: ConnectionGater[]): ConnectionGater {
  const combined: Record<string, (...args: any[]) => Promise<boolean>> = {}
  for (const method of METHODS) {
    // bound, since a gater may be a class instance whose methods use `this`
    const parts = gaters
      .filter(g => typeof g[method] === 'function')
      .map(g => (...args: any[]): boolean | Promise<boolean> => (g[method] as (...a: any[]) => boolean | Promise<boolean>).apply(g, args))
    if (parts.length === 0) continue
    const keepAll = method === 'filterMultiaddrForPeer'
    combined[method] = async (...args: any[]) => {
      for (const part of parts) {
        const result = await part(...args)
        if (keepAll ? !result : result) return result
      }
      return keepAll
    }
  }
  return combined as ConnectionGater
}
