/** Peers' multiaddrs as the address book keeps them: strings without the peer's own `/p2p` part. */
import type { Multiaddr } from '@multiformats/multiaddr'

/**
 * A multiaddr as a string without its trailing `/p2p/<peer id>`; `undefined` for a relayed
 * (`/p2p-circuit`) address, which is the relay's and not the peer's own, and when nothing is left.
 * (Cutting a relayed address `/ip4/<relay>/tcp/4001/p2p/<relay id>/p2p-circuit` at its last `/p2p`
 * would leave the relay's own address, which PEX would then hand out under the relayed peer's id.)
 */
export function addrString (addr: Multiaddr): string | undefined {
  try {
    const components = addr.getComponents()
    if (components.some(c => c.name === 'p2p-circuit')) return undefined
    const p2p = components.filter(c => c.name === 'p2p').length
    const trailing = components.at(-1)?.name === 'p2p'
    // a /p2p anywhere but at the end names some other peer
    if (p2p > (trailing ? 1 : 0)) return undefined
    const text = (trailing ? addr.decapsulateCode(421) : addr).toString()
    return text === '' || text === '/' ? undefined : text
  } catch {
    return undefined
  }
}

/** Whether an address is a wildcard one (`0.0.0.0`, `::`), which nobody can dial. */
export function isUnspecified (addr: string): boolean {
  return addr.startsWith('/ip4/0.0.0.0/') || addr.startsWith('/ip6/::/')
}

/** The dialable addresses among `addrs`, as strings without `/p2p`. */
export function usableAddrs (addrs: readonly Multiaddr[]): string[] {
  const out: string[] = []
  for (const addr of addrs) {
    const text = addrString(addr)
    if (text != null && !isUnspecified(text)) out.push(text)
  }
  return out
}
