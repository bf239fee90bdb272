/**
 * What a node can tell others to `--bootstrap` from: its addresses, each with how far it reaches
 * and why it is believed. Both CLIs print it at start (`bootstrap` in their `listening` event)
 * and again whenever it changes (an `addresses` event), since a public address appears only once
 * peers confirmed it, and a relay address once a relay granted a reservation.
 *
 * @module
 */
import { isPrivate } from '@libp2p/utils'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'

/**
 * How an address came to be announced:
 * - `announced`: given with `--announce`, announced as it is (nobody checked it);
 * - `confirmed`: a public address peers confirmed they reach us at (AutoNAT dial-backs, or the
 *   address several peers in different networks observed);
 * - `relayed`: through a relay that holds a reservation for us (`/p2p-circuit`): works from
 *   anywhere, with the relay's limits, until a direct connection replaces it;
 * - `local`: a loopback or private-network address: only this machine or this LAN can use it.
 */
export type AddressKind = 'announced' | 'confirmed' | 'relayed' | 'local'

/** One address others can dial, ending in `/p2p/<peer id>`. */
export interface BootstrapAddr {
  addr: string
  kind: AddressKind
}

const withoutPeer = (addr: Multiaddr): string => addr.toString().replace(/\/p2p\/[^/]+$/, '')

/** Classify a node's announced addresses (`node.getMultiaddrs()`), given what `--announce` said; best first. */
export function bootstrapAddrs (addrs: readonly Multiaddr[], announce: readonly string[] = []): BootstrapAddr[] {
  const announced = new Set(announce.map(a => withoutPeer(multiaddr(a))))
  const kind = (addr: Multiaddr): AddressKind => {
    if (announced.has(withoutPeer(addr))) return 'announced'
    if (addr.getComponents().some(c => c.name === 'p2p-circuit')) return 'relayed'
    return isPrivate(addr) === true ? 'local' : 'confirmed'
  }
  const order: AddressKind[] = ['confirmed', 'announced', 'relayed', 'local']
  return addrs.map(addr => ({ addr: addr.toString(), kind: kind(addr) }))
    .sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind))
}

const WORDS: Record<AddressKind, string> = {
  confirmed: 'public, confirmed by peers',
  announced: 'announced with --announce, not checked',
  relayed: 'through a relay',
  local: 'this machine or LAN only'
}

/** Human lines: `  <addr>  (<kind in words>)`, or one line saying there is nothing yet. */
export function describeBootstrapAddrs (list: readonly BootstrapAddr[]): string {
  if (list.length === 0) return '  none yet: no address is confirmed (behind a NAT, use a relay; on a public address, pass --announce)'
  return list.map(a => `  ${a.addr}  (${WORDS[a.kind]})`).join('\n')
}

/**
 * Call `onChange` with the classified list whenever the node's announced addresses change
 * (libp2p's `self:peer:update`); returns a function that stops watching.
 */
export function watchBootstrapAddrs (node: { getMultiaddrs: () => Multiaddr[], addEventListener: (type: 'self:peer:update', listener: () => void) => void, removeEventListener: (type: 'self:peer:update', listener: () => void) => void }, announce: readonly string[], onChange: (list: BootstrapAddr[]) => void): () => void {
  let last = JSON.stringify(bootstrapAddrs(node.getMultiaddrs(), announce))
  const listener = (): void => {
    const list = bootstrapAddrs(node.getMultiaddrs(), announce)
    const now = JSON.stringify(list)
    if (now === last) return
    last = now
    onChange(list)
  }
  node.addEventListener('self:peer:update', listener)
  return () => { node.removeEventListener('self:peer:update', listener) }
}
