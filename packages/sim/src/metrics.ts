import type { Graph } from './topology.ts'

/** Times (ms after publishing) by which a share of the nodes had a message; `null`: never. */
export interface Quantiles {
  t50: number | null
  t90: number | null
  t99: number | null
  t100: number | null
}

/**
 * Shortest-path broadcast times from `source`: the earliest any relay strategy could reach each
 * node, the sum of link latencies plus `hopMs` (a payload's transmission time) per hop along the
 * fastest path. `Infinity` for nodes not connected to the source.
 */
export function shortestTimes (graph: Graph, source: number, hopMs = 0): Float64Array {
  const { n, offsets, targets, latency } = graph
  const dist = new Float64Array(n).fill(Infinity)
  const done = new Uint8Array(n)
  // lazy binary heap of (distance, node)
  let keys = new Float64Array(Math.max(16, n))
  let nodes = new Int32Array(Math.max(16, n))
  let size = 0
  const push = (d: number, v: number): void => {
    if (size === keys.length) {
      const k = new Float64Array(size * 2); k.set(keys); keys = k
      const m = new Int32Array(size * 2); m.set(nodes); nodes = m
    }
    let i = size++
    while (i > 0) {
      const p = (i - 1) >> 1
      if (keys[p] <= d) break
      keys[i] = keys[p]; nodes[i] = nodes[p]; i = p
    }
    keys[i] = d; nodes[i] = v
  }
  const pop = (): number => {
    const top = nodes[0]
    const d = keys[--size]
    const v = nodes[size]
    let i = 0
    for (;;) {
      let c = 2 * i + 1
      if (c >= size) break
      if (c + 1 < size && keys[c + 1] < keys[c]) c++
      if (d <= keys[c]) break
      keys[i] = keys[c]; nodes[i] = nodes[c]; i = c
    }
    keys[i] = d; nodes[i] = v
    return top
  }
  dist[source] = 0
  push(0, source)
  while (size > 0) {
    const u = pop()
    if (done[u] === 1) continue
    done[u] = 1
    const du = dist[u]
    for (let e = offsets[u]; e < offsets[u + 1]; e++) {
      const v = targets[e]
      const dv = du + latency[e] + hopMs
      if (dv < dist[v]) {
        dist[v] = dv
        push(dv, v)
      }
    }
  }
  return dist
}

/**
 * The time by which a share `q` of `total` (message, node) pairs was reached, from the sorted
 * finite latencies of the pairs that were reached; `null` when fewer were.
 */
export function coverageTime (sorted: Float64Array, total: number, q: number): number | null {
  const rank = Math.max(1, Math.ceil(q * total - 1e-9))
  return rank <= sorted.length ? sorted[rank - 1] : null
}

/** The coverage times (`coverageTime`) at 50, 90, 99 and 100 % of `total`. */
export function quantiles (sorted: Float64Array, total: number): Quantiles {
  return {
    t50: coverageTime(sorted, total, 0.5),
    t90: coverageTime(sorted, total, 0.9),
    t99: coverageTime(sorted, total, 0.99),
    t100: coverageTime(sorted, total, 1)
  }
}

/** Fractions at which the curves of a result are sampled: 0.5 %, 1 %, ... 100 %. */
export function curveFractions (points = 200): number[] {
  return Array.from({ length: points }, (_, i) => (i + 1) / points)
}

/**
 * How well a source estimator did. Two precisions, since the literature and a naive count differ:
 *
 * - `precision` is the papers' (Bojja Venkatakrishnan, Fanti, Viswanath, SIGMETRICS 2017;
 *   Fanti et al., Dandelion++, SIGMETRICS 2018): per node that published, the share of the
 *   messages the estimator attributes to it that really are its own (0 when none is), averaged
 *   over those nodes. With one message per honest node (`onePerHonest`) it is exactly theirs:
 *   a node whose own message is named costs the adversary nothing only if nothing else is
 *   pinned on it.
 * - `accuracy` is correct guesses ÷ guesses: how often a named source is right. It equals
 *   `recall` whenever every message is seen by the adversary; earlier versions called it precision.
 */
export interface Attribution {
  /** messages with a guess */
  guessed: number
  correct: number
  /** the papers' precision: mean over publishing nodes v of 1{v's message named v} / |messages named v| (see above) */
  precision: number
  /** correct / guessed: how often a named source is the real one (0 when nothing was guessed) */
  accuracy: number
  /** correct / messages: the share of messages whose source is exposed */
  recall: number
}

/**
 * Score guesses (`-1`: none) against the true sources: {@link Attribution}. A node that
 * published several messages counts once for `precision`, with the share of its attributed set
 * that is its own.
 */
export function attribution (guesses: ArrayLike<number>, sources: ArrayLike<number>): Attribution {
  let guessed = 0
  let correct = 0
  // per node: messages attributed to it, and how many of those are its own
  const named = new Map<number, number>()
  const own = new Map<number, number>()
  for (let m = 0; m < sources.length; m++) {
    if (guesses[m] < 0) continue
    guessed++
    named.set(guesses[m], (named.get(guesses[m]) ?? 0) + 1)
    if (guesses[m] === sources[m]) {
      correct++
      own.set(sources[m], (own.get(sources[m]) ?? 0) + 1)
    }
  }
  const publishers = new Set<number>()
  for (let m = 0; m < sources.length; m++) publishers.add(sources[m])
  let sum = 0
  for (const v of publishers) {
    const mine = own.get(v) ?? 0
    if (mine > 0) sum += mine / (named.get(v) as number)
  }
  return {
    guessed,
    correct,
    precision: publishers.size === 0 ? 0 : sum / publishers.size,
    accuracy: guessed === 0 ? 0 : correct / guessed,
    recall: sources.length === 0 ? 0 : correct / sources.length
  }
}
