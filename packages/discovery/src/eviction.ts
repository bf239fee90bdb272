import type { PeerKey } from '@hearsay/interface'

/** One inbound peer, as inbound eviction sees it. */
export interface InboundCandidate {
  /** The peer's key. */
  peer: PeerKey
  /** Netgroup of the connection's remote address. */
  group: string
  /** When the connection opened (epoch ms). */
  connectedAt: number
  /** Round-trip time in ms, if measured (the connection's `rtt`: a hearsay host's Yamux keep-alive pings). */
  latencyMs?: number
  /** Never evict this one (allow-listed, or a peer the application keeps). */
  protected?: boolean
}

/** How many inbound peers each rule protects; Bitcoin Core's numbers by default. */
export interface EvictionOptions {
  /** Peers kept from distinct netgroups, chosen by a keyed hash of the netgroup. @default 4 */
  protectNetgroups?: number
  /** Peers with the lowest latency kept. @default 8 */
  protectLowLatency?: number
  /** Share of the rest kept by connection age, oldest first. @default 0.5 */
  protectLongLivedShare?: number
  /**
   * The order of netgroups for the diversity rule: a keyed hash, so an attacker cannot choose
   * netgroups that are always protected. @default a hash of the netgroup name
   */
  groupRank?: (group: string) => number
}

/**
 * Choose the inbound peer to disconnect when inbound slots are full (Bitcoin Core's
 * `SelectNodeToEvict`), or `undefined` when every candidate is protected (then the newcomer
 * should be refused instead). In order, it protects: peers from a few distinct netgroups, the
 * lowest-latency peers, and the longest-connected share of the rest; then it evicts the
 * youngest peer of the netgroup that holds the most remaining connections, so an attacker who
 * opens many connections from one netgroup loses them first, and long-lived, fast, diverse
 * peers are kept.
 */
export function selectInboundToEvict (candidates: readonly InboundCandidate[], options: EvictionOptions = {}): PeerKey | undefined {
  const rank = options.groupRank ?? fnv1a
  let rest = candidates.filter(c => c.protected !== true)

  // 1. netgroup diversity: the first candidate of each of the N best-ranked netgroups
  const protectGroups = Math.max(0, Math.floor(options.protectNetgroups ?? 4))
  const byGroup = [...rest].sort((a, b) => rank(a.group) - rank(b.group) || a.group.localeCompare(b.group) || a.connectedAt - b.connectedAt)
  const keptGroups = new Set<string>()
  const kept = new Set<InboundCandidate>()
  for (const c of byGroup) {
    if (keptGroups.size >= protectGroups) break
    if (keptGroups.has(c.group)) continue
    keptGroups.add(c.group)
    kept.add(c)
  }
  rest = rest.filter(c => !kept.has(c))

  // 2. lowest latency (unmeasured peers last)
  const protectFast = Math.max(0, Math.floor(options.protectLowLatency ?? 8))
  const byLatency = [...rest].sort((a, b) => (a.latencyMs ?? Infinity) - (b.latencyMs ?? Infinity) || a.connectedAt - b.connectedAt)
  const fast = new Set(byLatency.filter(c => c.latencyMs != null).slice(0, protectFast))
  rest = rest.filter(c => !fast.has(c))

  // 3. the longest-lived share of the rest
  const share = Math.min(1, Math.max(0, options.protectLongLivedShare ?? 0.5))
  const byAge = [...rest].sort((a, b) => a.connectedAt - b.connectedAt)
  const old = new Set(byAge.slice(0, Math.floor(byAge.length * share)))
  rest = rest.filter(c => !old.has(c))

  if (rest.length === 0) return undefined

  // 4. the netgroup with the most connections (ties: the one with the youngest member) loses its youngest
  const groups = new Map<string, InboundCandidate[]>()
  for (const c of rest) {
    const list = groups.get(c.group)
    if (list == null) groups.set(c.group, [c])
    else list.push(c)
  }
  let worst: InboundCandidate[] | undefined
  let worstYoungest = -Infinity
  for (const list of groups.values()) {
    const youngest = Math.max(...list.map(c => c.connectedAt))
    if (worst == null || list.length > worst.length || (list.length === worst.length && youngest > worstYoungest)) {
      worst = list
      worstYoungest = youngest
    }
  }
  if (worst == null) return undefined
  return worst.reduce((a, b) => (b.connectedAt > a.connectedAt ? b : a)).peer
}

/** FNV-1a of a string: the default netgroup order when no keyed hash is given. */
function fnv1a (text: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}
