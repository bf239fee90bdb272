import type { Rng } from '@hearsay/interface'
import type { Graph } from './topology.ts'

/**
 * The source estimators beyond first-spy. Both read what the adversary saw of one message: which
 * nodes sent it to the adversary (a spy, or a connection of the eavesdropper) and when.
 *
 * - Against an eavesdropper with θ connections to every node, the *reporting centre* of Fanti &
 *   Viswanath ("Anonymity properties of the Bitcoin P2P network", NeurIPS 2017): the node every
 *   branch of which holds at most half of the nodes that have reported the message.
 * - Against spies, the *rumour centre* of Shah & Zaman ("Rumors in a network: who's the
 *   culprit?", IEEE Trans. Inf. Theory 2011), the maximum-likelihood source of a snapshot on a
 *   regular tree, computed on the infected nodes the spies saw: the nodes that sent a spy the
 *   message.
 *
 * On a tree both are the node that minimises the sum of hop distances to the observed nodes (a
 * node minimises that sum exactly when no branch of it holds more than half of them; Shah & Zaman
 * show the rumour centre of a tree is this distance centre), which is what {@link distanceCentre}
 * computes, on any graph. Neither sees the whole infected subgraph here, so it is computed on the
 * first `limit` nodes observed (see {@link firstObserved}).
 *
 * @module
 */

/**
 * The first `limit` nodes seen sending message `m`, earliest first (ties by node number), from
 * `observedAt[m * n + node]`, the time each node was first seen sending it (NaN: never).
 */
export function firstObserved (observedAt: Float64Array, m: number, n: number, limit: number): number[] {
  const seen: number[] = []
  const base = m * n
  for (let i = 0; i < n; i++) if (!Number.isNaN(observedAt[base + i])) seen.push(i)
  seen.sort((a, b) => observedAt[base + a] - observedAt[base + b] || a - b)
  return seen.length > limit ? seen.slice(0, limit) : seen
}

/**
 * The node with the least sum of hop distances to the `observed` nodes (the 1-median): on a tree,
 * the node none of whose branches holds more than half of them, which is the reporting centre of
 * Fanti & Viswanath (2017) and the rumour centre of Shah & Zaman (2011) of those nodes. Ties go to
 * the earliest of `observed` among the tied nodes, else to a tied node drawn from `rng`. -1 when
 * nothing was observed. Cost: one breadth-first search per observed node.
 */
export function distanceCentre (graph: Graph, observed: readonly number[], rng: Rng): number {
  if (observed.length === 0) return -1
  const { n, offsets, targets } = graph
  const sum = new Float64Array(n)
  const dist = new Int32Array(n)
  const queue = new Int32Array(n)
  for (const source of observed) {
    dist.fill(-1)
    dist[source] = 0
    let head = 0
    let tail = 0
    queue[tail++] = source
    while (head < tail) {
      const u = queue[head++]
      const du = dist[u] + 1
      for (let e = offsets[u]; e < offsets[u + 1]; e++) {
        const v = targets[e]
        if (dist[v] === -1) {
          dist[v] = du
          queue[tail++] = v
        }
      }
    }
    for (let i = 0; i < n; i++) sum[i] += dist[i] === -1 ? Infinity : dist[i]
  }
  let best = Infinity
  for (let i = 0; i < n; i++) if (sum[i] < best) best = sum[i]
  for (const v of observed) if (sum[v] === best) return v
  const tied: number[] = []
  for (let i = 0; i < n; i++) if (sum[i] === best) tied.push(i)
  return tied[rng.int(tied.length)]
}
