import type { Multiaddr } from '@multiformats/multiaddr'

/**
 * The IP address of a multiaddr (`/ip4/...` or `/ip6/...`), normalised so the same host
 * always gives the same string; `undefined` for addresses without one (DNS names, relays,
 * memory), which are therefore never refused by IP.
 */
export function ipOf (addr: Multiaddr | undefined): string | undefined {
  if (addr == null) return undefined
  try {
    for (const component of addr.getComponents()) {
      if ((component.name === 'ip4' || component.name === 'ip6') && component.value != null) {
        return normalizeIp(component.value)
      }
    }
  } catch {
    // a malformed address has no IP we could refuse
  }
  return undefined
}

/** Lower-case, and `::ffff:a.b.c.d` (an IPv4 peer on a dual-stack socket) as plain `a.b.c.d`. */
export function normalizeIp (ip: string): string {
  const lower = ip.toLowerCase()
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(lower)
  return mapped != null ? mapped[1] : lower
}

/** The peer id string in a multiaddr's last `/p2p/` component, if any. */
export function peerOf (addr: Multiaddr): string | undefined {
  try {
    return addr.getComponents().findLast(component => component.name === 'p2p')?.value
  } catch {
    return undefined
  }
}
