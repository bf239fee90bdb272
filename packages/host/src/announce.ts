import type { Multiaddr } from '@multiformats/multiaddr'

/** Whether an address leads to this machine's loopback (a relay reached on loopback included). */
function isLoopback (addr: Multiaddr): boolean {
  const ip = addr.getComponents().find(c => c.name === 'ip4' || c.name === 'ip6')
  return ip?.value != null && (ip.name === 'ip4' ? ip.value.startsWith('127.') : ip.value === '::1')
}

/**
 * The host's announce filter: a host that other machines can reach (it has an address off
 * loopback) does not announce its loopback addresses, nor relay addresses through a relay's
 * loopback. A peer elsewhere that dialled one would reach its own machine, and whatever listens
 * there (another node, or nothing) instead of us. A host on loopback only announces all it has.
 */
export function hideLoopbackWhenReachable (addrs: Multiaddr[]): Multiaddr[] {
  const reachable = addrs.filter(a => !isLoopback(a))
  return reachable.length > 0 ? reachable : addrs
}
