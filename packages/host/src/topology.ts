import { sample, shuffle } from '@hearsay/sansio'
import type { Rng } from '@hearsay/interface'

/**
 * How testnet nodes are wired:
 * - `'none'`: no connections; `'full'`: every pair; `'line'`: 0-1-2-…; `'ring'`: a closed line;
 *   `'star'`: everyone to node 0
 * - `{ random: d }`: a connected random graph in which every node has at least `d` links
 *   (a random spanning tree, then random extra links)
 * - an explicit edge list of node indexes
 */
export type Topology =
  | 'none' | 'full' | 'line' | 'ring' | 'star'
  | { random: number }
  | ReadonlyArray<readonly [number, number]>

/** An undirected link between two node indexes; the first one dials. */
export type Edge = [number, number]

/** The edges of `topology` over `n` nodes, without duplicates or self-links. */
export function topologyEdges (topology: Topology, n: number, rng: Rng): Edge[] {
  const edges = new EdgeSet()
  if (Array.isArray(topology)) {
    for (const [a, b] of topology as ReadonlyArray<readonly [number, number]>) {
      if (!Number.isInteger(a) || !Number.isInteger(b) || a < 0 || b < 0 || a >= n || b >= n) {
        throw new RangeError(`edge [${a}, ${b}] names a node outside 0..${n - 1}`)
      }
      edges.add(a, b)
    }
  } else if (topology === 'full') {
    for (let a = 0; a < n; a++) for (let b = a + 1; b < n; b++) edges.add(a, b)
  } else if (topology === 'line' || topology === 'ring') {
    for (let a = 0; a + 1 < n; a++) edges.add(a, a + 1)
    if (topology === 'ring' && n > 2) edges.add(n - 1, 0)
  } else if (topology === 'star') {
    for (let a = 1; a < n; a++) edges.add(a, 0)
  } else if (typeof topology === 'object' && 'random' in topology) {
    randomConnected(edges, n, topology.random, rng)
  } else if (topology !== 'none') {
    throw new TypeError(`unknown topology ${String(topology)}`)
  }
  return edges.list()
}

function randomConnected (edges: EdgeSet, n: number, degree: number, rng: Rng): void {
  const order = shuffle(rng, Array.from({ length: n }, (_, i) => i))
  for (let i = 1; i < n; i++) edges.add(order[i], order[rng.int(i)])
  const target = Math.min(Math.max(0, degree), n - 1)
  for (let a = 0; a < n; a++) {
    const missing = target - edges.degree(a)
    if (missing <= 0) continue
    const candidates = order.filter(b => b !== a && !edges.has(a, b))
    for (const b of sample(rng, candidates, missing)) edges.add(a, b)
  }
}

class EdgeSet {
  readonly #keys = new Set<string>()
  readonly #edges: Edge[] = []
  readonly #degrees = new Map<number, number>()

  add (a: number, b: number): void {
    if (a === b || this.has(a, b)) return
    this.#keys.add(key(a, b))
    this.#edges.push([a, b])
    this.#degrees.set(a, this.degree(a) + 1)
    this.#degrees.set(b, this.degree(b) + 1)
  }

  has (a: number, b: number): boolean { return this.#keys.has(key(a, b)) }
  degree (a: number): number { return this.#degrees.get(a) ?? 0 }
  list (): Edge[] { return this.#edges }
}

function key (a: number, b: number): string {
  return a < b ? `${a}-${b}` : `${b}-${a}`
}
