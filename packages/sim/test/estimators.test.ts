import assert from 'node:assert/strict'
import { seededRng } from '@hearsay/sansio'
import { diffusion } from '@hearsay/gossip/strategies'
import {
  buildGraph, distanceCentre, edgeList, firstObserved, regularTree, simulate, simulateParallel, type Graph, type SimulationResult
} from '@hearsay/sim'

const graphOf = (n: number, links: Array<[number, number]>): Graph => buildGraph(edgeList(n, links), () => 1)
const path = (n: number): Graph => graphOf(n, Array.from({ length: n - 1 }, (_, i) => [i, i + 1] as [number, number]))

/** The observed nodes in each branch of `v` (the components left when v is removed). */
function branchCounts (graph: Graph, v: number, observed: Set<number>): number[] {
  const { offsets, targets } = graph
  const counts: number[] = []
  for (let e = offsets[v]; e < offsets[v + 1]; e++) {
    let count = 0
    const stack = [targets[e]]
    const seen = new Set([v, targets[e]])
    while (stack.length > 0) {
      const u = stack.pop() as number
      if (observed.has(u)) count++
      for (let f = offsets[u]; f < offsets[u + 1]; f++) {
        if (!seen.has(targets[f])) { seen.add(targets[f]); stack.push(targets[f]) }
      }
    }
    counts.push(count)
  }
  return counts
}

describe('centrality estimators', () => {
  it('the distance centre of a path is its median observed node', () => {
    assert.equal(distanceCentre(path(7), [0, 6, 5], seededRng(1)), 5)
    assert.equal(distanceCentre(path(7), [1, 2, 3, 4, 6], seededRng(1)), 3)
    assert.equal(distanceCentre(path(7), [], seededRng(1)), -1)
  })

  it('on a tree, no branch of the centre holds more than half of the observed nodes (reporting centrality)', () => {
    const tree = buildGraph(regularTree(3, 5), () => 1)
    const rng = seededRng(11)
    for (let trial = 0; trial < 200; trial++) {
      const size = 1 + rng.int(20)
      const observed = new Set<number>()
      while (observed.size < size) observed.add(rng.int(tree.n))
      const list = [...observed]
      const centre = distanceCentre(tree, list, rng)
      for (const count of branchCounts(tree, centre, observed)) {
        assert.ok(count <= size / 2, `trial ${trial}: a branch of ${centre} holds ${count} of ${size}`)
      }
    }
  })

  it('ties go to the earliest observed node among them, else to a seeded draw', () => {
    // a path 0-1-2-3 observed at both ends: every node has distance sum 3
    assert.equal(distanceCentre(path(4), [3, 0], seededRng(1)), 3)
    // a star, centre 0: nodes 0, 1 and 2 tie for observed [1, 2]
    const star = graphOf(5, [[0, 1], [0, 2], [0, 3], [0, 4]])
    assert.equal(distanceCentre(star, [2, 1], seededRng(1)), 2)
    // K(2,4): the observed right side {2..5} ties the two left nodes 0 and 1, neither observed
    const bipartite = graphOf(6, [[0, 2], [0, 3], [0, 4], [0, 5], [1, 2], [1, 3], [1, 4], [1, 5]])
    const picks = new Set<number>()
    for (let seed = 0; seed < 40; seed++) {
      const pick = distanceCentre(bipartite, [2, 3, 4, 5], seededRng(seed))
      assert.equal(pick, distanceCentre(bipartite, [2, 3, 4, 5], seededRng(seed)), 'the same seed, the same pick')
      picks.add(pick)
    }
    assert.deepEqual([...picks].sort(), [0, 1])
  })

  it('lists the first nodes seen, earliest first, ties by node number, never-seen skipped', () => {
    const n = 5
    const observedAt = new Float64Array(2 * n).fill(Number.NaN)
    observedAt.set([7, Number.NaN, 3, 3, 1], n) // message 1
    assert.deepEqual(firstObserved(observedAt, 1, n, 10), [4, 2, 3, 0])
    assert.deepEqual(firstObserved(observedAt, 1, n, 2), [4, 2])
    assert.deepEqual(firstObserved(observedAt, 0, n, 10), [])
  })

  it('in a run: the window of reports decides what the centre names (flood on a path)', () => {
    // flood from node 2 of a path of 11, 1 ms links: nodes report at their distance from 2
    const base = {
      edges: edgeList(11, Array.from({ length: 10 }, (_, i) => [i, i + 1] as [number, number])),
      strategy: 'flood' as const, sources: [2], messages: 1, latency: 'constant:1', bandwidthMbps: 0, eavesdropper: 1, seed: 3
    }
    const all = simulate({ ...base, centreReports: 11 })
    assert.equal(all.spy?.recall, 1, 'the source reports first')
    assert.equal(all.spy?.centre?.reports, 11)
    assert.equal(all.spy?.centre?.recall, 0, 'every node reported: the centre is the middle, node 5')
    const early = simulate({ ...base, centreReports: 5 })
    assert.equal(early.spy?.centre?.recall, 1, 'the first five reporters, 0 to 4, centre on the source')
    assert.equal(simulate(base).spy?.centre, undefined, 'off by default')
  })

  it('reporting centrality on a tree is deterministic for its seed, and the same on threads', async function () {
    this.timeout(60_000)
    const options = {
      topology: { kind: 'tree', degree: 4, depth: 5 } as const,
      strategy: 'diffusion' as const,
      sources: [0],
      messages: 40,
      intervalMs: 0,
      latency: 'constant:1',
      bandwidthMbps: 0,
      horizonMs: 3000,
      eavesdropper: 1,
      centreReports: 8,
      seed: 4
    }
    const pure = (r: SimulationResult): unknown => ({ ...r, perf: undefined })
    const one = simulate(options)
    assert.ok(one.spy?.centre != null && one.spy.centre.guessed === 40, 'a centre for every message')
    assert.deepEqual(pure(simulate(options)), pure(one))
    assert.deepEqual(pure(await simulateParallel(options, 2)), pure(one), 'threads merge the reports into the same centres')
  })

  it('against spies, the rumour centre names a node for every message the spies saw', () => {
    const result = simulate({
      strategy: diffusion({ meanDelayMs: 1000 }), nodes: 200, topology: { kind: 'random', degree: 4 }, onePerHonest: true,
      spies: 0.2, latency: 'constant:1', intervalMs: 100, bandwidthMbps: 0, horizonMs: 60_000, centreReports: 8, seed: 9
    })
    const spy = result.spy
    assert.ok(spy?.centre != null)
    assert.equal(spy.centre.guessed, spy.guessed, 'seen by a spy, located by both')
    for (const key of ['precision', 'accuracy', 'recall'] as const) assert.ok(spy.centre[key] >= 0 && spy.centre[key] <= 1, key)
    assert.ok(spy.centre.correct > 0, 'it finds some publishers')
  })
})
