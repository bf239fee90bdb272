import type { Multiaddr } from '@multiformats/multiaddr'

/** Whether an address leads to this machine's loopback (a relay reached on loopback included). */
function isLoopback (addr: Multiaddr): boolean {
  const ip = addr.getComponents().find(c => c.name === 'ip4' || c.name === 'ip6')
  return ip?.value != null && (ip.name === 'ip4' ? ip.value.startsWith('127.') : ip.value === '::1')
}

/**
 * The host's announce filter: a host listening on an address off loopback (`0.0.0.0`, a LAN or
 * public interface, which other machines can reach) does not announce its loopback addresses, nor
 * relay addresses through a relay's loopback: a peer elsewhere that dialled one would reach its own
 * machine, and whatever listens there (another node, or nothing), instead of us. A host listening
 * on loopback alone (tests, one machine, a server behind a local proxy) announces everything.
 *
 * @param listen - the host's listen addresses
 */
export function hideLoopbackWhenReachable (listen: readonly Multiaddr[]): (addrs: Multiaddr[]) => Multiaddr[] {
  const reachable = listen.some(a => a.getComponents().some(c => c.name === 'ip4' || c.name === 'ip6') && !isLoopback(a))
  return (addrs) => reachable ? addrs.filter(a => !isLoopback(a)) : addrs
}
