import { shuffle } from '@hearsay/sansio'
import type { Rng } from '@hearsay/interface'

/**
 * An undirected network in compressed sparse rows: node `i`'s links are
 * `targets[offsets[i] .. offsets[i + 1])`. Each link has one latency, the same both ways, and
 * a direction: `outbound[e] === 1` when node `i` dialled `targets[e]`.
 */
export interface Graph {
  readonly n: number
  readonly offsets: Int32Array
  readonly targets: Int32Array
  /** one-way latency of each link, ms */
  readonly latency: Float64Array
  readonly outbound: Uint8Array
}

/** Links as parallel arrays: `from[k]` dialled `to[k]`; `latency[k]` in ms when known. */
export interface EdgeList {
  n: number
  from: Int32Array
  to: Int32Array
  count: number
  latency?: Float64Array
  /** names of the nodes, when read from a file */
  names?: string[]
}

/** How to build a network: generated, or read from an edge list. */
export type TopologySpec =
  | { kind: 'random', degree: number }
  | { kind: 'bitcoin', outbound?: number, maxInbound?: number }
  /**
   * A random Hamiltonian cycle, each node dialling the next: every node has one outbound and one
   * inbound peer, so Dandelion's stem follows the line graph of Dandelion (2017).
   */
  | { kind: 'ring' }
  /** A d-regular tree `depth` levels deep from node 0 (the papers' infinite tree, cut off); `nodes` is ignored. */
  | { kind: 'tree', degree: number, depth: number }

class EdgeBuilder {
  from: Int32Array
  to: Int32Array
  latency: Float64Array | undefined
  count = 0
  readonly #seen = new Set<number>()
  readonly #n: number

  constructor (n: number, capacity: number, withLatency = false) {
    this.#n = n
    this.from = new Int32Array(Math.max(16, capacity))
    this.to = new Int32Array(Math.max(16, capacity))
    this.latency = withLatency ? new Float64Array(Math.max(16, capacity)) : undefined
  }

  has (a: number, b: number): boolean {
    return a === b || this.#seen.has(a < b ? a * this.#n + b : b * this.#n + a)
  }

  /** Add a link unless it is a self-loop or already there; true when added. */
  add (a: number, b: number, latency = 0): boolean {
    if (this.has(a, b)) return false
    this.#seen.add(a < b ? a * this.#n + b : b * this.#n + a)
    if (this.count === this.from.length) {
      const grow = <T extends Int32Array | Float64Array>(old: T, next: T): T => { next.set(old); return next }
      this.from = grow(this.from, new Int32Array(this.count * 2))
      this.to = grow(this.to, new Int32Array(this.count * 2))
      if (this.latency != null) this.latency = grow(this.latency, new Float64Array(this.count * 2))
    }
    this.from[this.count] = a
    this.to[this.count] = b
    if (this.latency != null) this.latency[this.count] = latency
    this.count++
    return true
  }

  build (): EdgeList {
    return { n: this.#n, from: this.from, to: this.to, count: this.count, latency: this.latency }
  }
}

/**
 * A random `degree`-regular graph by the configuration model: `degree` stubs per node, paired
 * at random; self-loops and repeated links are re-paired a few times and then dropped, so a
 * handful of nodes may end one or two links short. Each link's direction is a coin flip.
 */
export function randomRegular (n: number, degree: number, rng: Rng): EdgeList {
  if (!Number.isInteger(n) || n < 2) throw new RangeError('random topology: nodes must be an integer >= 2')
  if (!Number.isInteger(degree) || degree < 1 || degree >= n) throw new RangeError('random topology: degree must be an integer in [1, nodes)')
  const total = n * degree - ((n * degree) % 2)
  let stubs = new Int32Array(total)
  for (let i = 0; i < total; i++) stubs[i] = Math.floor(i / degree)
  const edges = new EdgeBuilder(n, total / 2)
  for (let round = 0; round < 20 && stubs.length >= 2; round++) {
    // Fisher–Yates on the typed array
    for (let i = stubs.length - 1; i > 0; i--) {
      const j = rng.int(i + 1)
      const t = stubs[i]; stubs[i] = stubs[j]; stubs[j] = t
    }
    const left: number[] = []
    for (let k = 0; k + 1 < stubs.length; k += 2) {
      const a = stubs[k]
      const b = stubs[k + 1]
      const added = rng.next() < 0.5 ? edges.add(a, b) : edges.add(b, a)
      if (!added) left.push(a, b)
    }
    stubs = Int32Array.from(left)
  }
  return edges.build()
}

/**
 * Bitcoin-like: every node dials `outbound` (8) distinct random peers, and a node accepts at
 * most `maxInbound` (117) inbound links, so each has 8 outbound and about 8 inbound peers.
 */
export function bitcoinLike (n: number, rng: Rng, outbound = 8, maxInbound = 117): EdgeList {
  if (!Number.isInteger(n) || n < 2) throw new RangeError('bitcoin topology: nodes must be an integer >= 2')
  const want = Math.min(outbound, n - 1)
  const inbound = new Int32Array(n)
  const edges = new EdgeBuilder(n, n * want)
  for (let a = 0; a < n; a++) {
    let made = 0
    for (let tries = 0; made < want && tries < want * 50; tries++) {
      const b = rng.int(n)
      if (inbound[b] >= maxInbound || edges.has(a, b)) continue
      edges.add(a, b)
      inbound[b]++
      made++
    }
  }
  return edges.build()
}

/**
 * A random Hamiltonian cycle over `n` nodes: the nodes in random order, each dialling the next
 * and the last the first, so each has exactly one outbound and one inbound link.
 */
export function randomRing (n: number, rng: Rng): EdgeList {
  if (!Number.isInteger(n) || n < 3) throw new RangeError('ring topology: nodes must be an integer >= 3')
  const order = shuffledNodes(n, rng)
  const edges = new EdgeBuilder(n, n)
  for (let k = 0; k < n; k++) edges.add(order[k], order[(k + 1) % n])
  return edges.build()
}

/**
 * A `degree`-regular tree of `depth` levels: node 0 has `degree` children, every other inner node
 * `degree - 1`, so every inner node has `degree` links and the leaves one; nodes are numbered
 * level by level. The anonymity papers analyse infinite regular trees (Fanti & Viswanath 2017):
 * a source at the root sees the same tree as long as the estimate is made before the message
 * reaches the leaves. Each parent dialled its children.
 */
export function regularTree (degree: number, depth: number): EdgeList {
  if (!Number.isInteger(degree) || degree < 2) throw new RangeError('tree topology: degree must be an integer >= 2')
  if (!Number.isInteger(depth) || depth < 1) throw new RangeError('tree topology: depth must be an integer >= 1')
  let n = 1
  let level = 1
  for (let h = 1; h <= depth; h++) {
    level = h === 1 ? degree : level * (degree - 1)
    n += level
    if (n > 10_000_000) throw new RangeError('tree topology: more than 10 million nodes')
  }
  const edges = new EdgeBuilder(n, n - 1)
  let next = 1
  for (let parent = 0; parent < n && next < n; parent++) {
    const children = parent === 0 ? degree : degree - 1
    for (let c = 0; c < children && next < n; c++) edges.add(parent, next++)
  }
  return edges.build()
}

/**
 * Read an edge list: one link per line, `a b` or `a b latencyMs`, separated by spaces, tabs or
 * commas; lines starting with `#` or `%` are comments (SNAP's Gnutella snapshots read as they
 * are). Node names are any tokens, numbered in order of first appearance; the first node of a
 * line dialled the second. Self-loops and repeated links are skipped.
 */
export function parseEdgeList (text: string): EdgeList {
  const index = new Map<string, number>()
  const names: string[] = []
  const id = (name: string): number => {
    let i = index.get(name)
    if (i == null) {
      i = names.length
      index.set(name, i)
      names.push(name)
    }
    return i
  }
  const pairs: Array<[string, string, number | undefined]> = []
  let withLatency = false
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#') || line.startsWith('%')) continue
    const tokens = line.split(/[\s,;]+/)
    if (tokens.length < 2) throw new SyntaxError(`edge list: bad line "${line}"`)
    const latency = tokens.length >= 3 ? Number(tokens[2]) : undefined
    if (latency != null) {
      if (!Number.isFinite(latency) || latency < 0) throw new SyntaxError(`edge list: bad latency in "${line}"`)
      withLatency = true
    }
    id(tokens[0])
    id(tokens[1])
    pairs.push([tokens[0], tokens[1], latency])
  }
  if (withLatency && pairs.some(p => p[2] == null)) throw new SyntaxError('edge list: either every line has a latency or none')
  const edges = new EdgeBuilder(names.length, pairs.length, withLatency)
  for (const [a, b, latency] of pairs) edges.add(index.get(a) as number, index.get(b) as number, latency)
  return { ...edges.build(), names }
}

/** Links given by hand, `[a, b]` (a dialled b) or `[a, b, latencyMs]`. */
export function edgeList (n: number, links: ReadonlyArray<readonly [number, number] | readonly [number, number, number]>): EdgeList {
  const withLatency = links.some(l => l.length === 3)
  const edges = new EdgeBuilder(n, links.length, withLatency)
  for (const link of links) {
    if (link[0] < 0 || link[0] >= n || link[1] < 0 || link[1] >= n) throw new RangeError(`link ${link[0]}-${link[1]} outside 0..${n - 1}`)
    edges.add(link[0], link[1], link[2] ?? 0)
  }
  return edges.build()
}

/** Generate a topology. */
export function generate (spec: TopologySpec, n: number, rng: Rng): EdgeList {
  switch (spec.kind) {
    case 'random': return randomRegular(n, spec.degree, rng)
    case 'bitcoin': return bitcoinLike(n, rng, spec.outbound, spec.maxInbound)
    case 'tree': return regularTree(spec.degree, spec.depth)
    case 'ring': return randomRing(n, rng)
  }
}

/**
 * The network of `edges`, each link's latency from the list or else from `sample` (called once
 * per link, in list order, so a seed gives the same latencies every time).
 */
export function buildGraph (edges: EdgeList, sample: () => number): Graph {
  const { n, from, to, count } = edges
  const degree = new Int32Array(n + 1)
  for (let k = 0; k < count; k++) {
    degree[from[k]]++
    degree[to[k]]++
  }
  const offsets = new Int32Array(n + 1)
  for (let i = 0; i < n; i++) offsets[i + 1] = offsets[i] + degree[i]
  const fill = offsets.slice(0, n)
  const targets = new Int32Array(2 * count)
  const latency = new Float64Array(2 * count)
  const outbound = new Uint8Array(2 * count)
  for (let k = 0; k < count; k++) {
    const a = from[k]
    const b = to[k]
    const ms = edges.latency != null ? edges.latency[k] : sample()
    let e = fill[a]++
    targets[e] = b; latency[e] = ms; outbound[e] = 1
    e = fill[b]++
    targets[e] = a; latency[e] = ms; outbound[e] = 0
  }
  return { n, offsets, targets, latency, outbound }
}

/** Mean number of links per node. */
export function meanDegree (graph: Graph): number {
  return graph.n === 0 ? 0 : graph.targets.length / graph.n
}

/** Nodes in random order, for picking spies and adversaries without repeats. */
export function shuffledNodes (n: number, rng: Rng): number[] {
  return shuffle(rng, Array.from({ length: n }, (_, i) => i))
}
