import assert from 'node:assert/strict'
import { seededRng } from '@hearsay/sansio'
import { diffusion, gnutella } from '@hearsay/gossip/strategies'
import {
  EventQueue, bitcoinLike, buildGraph, buildNetwork, coverageChart, edgeList, latencyChart, parseEdgeList, parseLatency,
  attribution, randomRegular, randomRing, regularTree, resultsTable, shortestTimes, simulate, simulateParallel, notParallel, type SimulationOptions, type SimulationResult
} from '@hearsay/sim'

/** A result without its wall-time and memory figures, which are the only non-deterministic part. */
function pure (result: SimulationResult): Omit<SimulationResult, 'perf'> {
  const { perf: _perf, ...rest } = result
  return rest
}

function lineLinks (n: number): Array<[number, number]> {
  return Array.from({ length: n - 1 }, (_, i) => [i, i + 1] as [number, number])
}

function starLinks (n: number): Array<[number, number]> {
  return Array.from({ length: n - 1 }, (_, i) => [i + 1, 0] as [number, number])
}

describe('EventQueue', () => {
  it('pops by time, ties in push order', () => {
    const q = new EventQueue()
    const rng = seededRng(7)
    const pushed: Array<[number, number]> = []
    for (let i = 0; i < 5000; i++) {
      const t = rng.int(50)
      q.push(t, 0, i, 0, undefined)
      pushed.push([t, i])
    }
    pushed.sort((x, y) => x[0] - y[0] || x[1] - y[1])
    const popped: Array<[number, number]> = []
    while (q.pop()) popped.push([q.time, q.a])
    assert.deepEqual(popped, pushed)
    assert.equal(q.pop(), false)
  })

  it('keeps that order while pushes and pops interleave, payloads intact', () => {
    const q = new EventQueue()
    const rng = seededRng(8)
    // reference: a sorted list of (time, push order)
    const waiting: Array<{ t: number, n: number, b: number, obj: object }> = []
    let n = 0
    let now = 0
    for (let step = 0; step < 20_000; step++) {
      if (waiting.length === 0 || rng.next() < 0.55) {
        // ties on purpose: times on a coarse grid ahead of now
        const e = { t: now + rng.int(40), n: n++, b: rng.int(1000), obj: {} }
        waiting.push(e)
        q.push(e.t, n % 5, e.n, e.b, e.obj)
      } else {
        waiting.sort((x, y) => x.t - y.t || x.n - y.n)
        const e = waiting.shift()!
        assert.equal(q.pop(), true)
        assert.deepEqual([q.time, q.a, q.b, q.kind], [e.t, e.n, e.b, (e.n + 1) % 5])
        assert.equal(q.obj, e.obj)
        now = e.t
      }
    }
    assert.equal(q.size, waiting.length)
    assert.ok(q.peak >= q.size)
  })
})

describe('topologies', () => {
  it('random regular: every node has about d links, no self-loops or repeats', () => {
    const edges = randomRegular(2000, 8, seededRng(1))
    const graph = buildGraph(edges, () => 1)
    let short = 0
    for (let i = 0; i < graph.n; i++) {
      const deg = graph.offsets[i + 1] - graph.offsets[i]
      assert.ok(deg <= 8)
      if (deg < 8) short++
      const peers = new Set<number>()
      for (let e = graph.offsets[i]; e < graph.offsets[i + 1]; e++) {
        assert.notEqual(graph.targets[e], i)
        assert.ok(!peers.has(graph.targets[e]))
        peers.add(graph.targets[e])
      }
    }
    assert.ok(short <= 4, `${short} nodes short of 8 links`)
  })

  it('bitcoin-like: 8 outbound links each, inbound capped', () => {
    const graph = buildGraph(bitcoinLike(1000, seededRng(2), 8, 117), () => 1)
    for (let i = 0; i < graph.n; i++) {
      let out = 0
      let inbound = 0
      for (let e = graph.offsets[i]; e < graph.offsets[i + 1]; e++) {
        if (graph.outbound[e] === 1) out++
        else inbound++
      }
      assert.equal(out, 8)
      assert.ok(inbound <= 117)
    }
  })

  it('reads an edge list with comments, names and latencies', () => {
    const edges = parseEdgeList('# a Gnutella-like snapshot\n% another comment\nalice bob 10\nbob carol 5\n\ncarol alice 40\nalice bob 3\n')
    assert.equal(edges.n, 3)
    assert.equal(edges.count, 3, 'the repeated link is skipped')
    assert.deepEqual(edges.names, ['alice', 'bob', 'carol'])
    const graph = buildGraph(edges, () => 999)
    assert.deepEqual([...shortestTimes(graph, 0)], [0, 10, 15])
  })

  it('parses latency distributions', () => {
    assert.deepEqual(parseLatency('constant:20'), { kind: 'constant', ms: 20 })
    assert.deepEqual(parseLatency('uniform:10:30'), { kind: 'uniform', min: 10, max: 30 })
    assert.deepEqual(parseLatency('lognormal:50'), { kind: 'lognormal', median: 50, sigma: 0.5 })
    assert.throws(() => parseLatency('pareto:1'), RangeError)
  })
})

describe('lower bound', () => {
  // 0-1 10 ms, 1-2 10 ms, 0-2 25 ms, 2-3 5 ms, 0-4 100 ms, 3-4 1 ms
  const links: Array<[number, number, number]> = [[0, 1, 10], [1, 2, 10], [0, 2, 25], [2, 3, 5], [0, 4, 100], [3, 4, 1]]
  const graph = buildGraph(edgeList(5, links), () => { throw new Error('latencies are given') })

  it('is the shortest-path time on a hand-built graph', () => {
    assert.deepEqual([...shortestTimes(graph, 0)], [0, 10, 20, 25, 26])
    assert.deepEqual([...shortestTimes(graph, 4)], [26, 16, 6, 1, 0])
    // a transmission time per hop favours fewer hops: 0-2 direct (26) still loses to 0-1-2 (22)
    assert.deepEqual([...shortestTimes(graph, 0, 1)], [0, 11, 22, 28, 30])
  })

  it('marks unreachable nodes', () => {
    const split = buildGraph(edgeList(4, [[0, 1, 3], [2, 3, 4]]), () => 0)
    assert.deepEqual([...shortestTimes(split, 0)], [0, 3, Infinity, Infinity])
  })

  it('flood meets it exactly on the hand-built graph', () => {
    const result = simulate({ strategy: 'flood', graph, messages: 1, sources: [0], bandwidthMbps: 0 })
    assert.equal(result.deliveryPct, 100)
    assert.deepEqual(result.coverage, { t50: 20, t90: 26, t99: 26, t100: 26 })
    assert.deepEqual(result.coverage, result.bound)
    assert.deepEqual(result.curve.coverageMs, result.curve.boundMs)
  })
})

describe('strategies on the simulator', () => {
  for (const [name, links, source] of [
    ['a line', lineLinks(12), 0],
    ['a star, from a leaf', starLinks(12), 5],
    ['a star, from the hub', starLinks(12), 0]
  ] as const) {
    it(`flood reaches 100 % at the bound on ${name}`, () => {
      const graph = buildNetwork({ edges: edgeList(12, links), latency: 'lognormal:50:0.5', seed: 3 })
      const result = simulate({ strategy: 'flood', graph, messages: 3, sources: [source], bandwidthMbps: 0, seed: 3 })
      assert.equal(result.deliveryPct, 100)
      assert.deepEqual(result.coverage, result.bound)
      assert.deepEqual(result.curve.coverageMs, result.curve.boundMs)
    })
  }

  it('flood with bandwidth: a payload serialised per hop on a line is still at the bound', () => {
    const graph = buildNetwork({ edges: edgeList(8, lineLinks(8)), latency: 'constant:10' })
    const result = simulate({ strategy: 'flood', graph, messages: 1, sources: [0], bandwidthMbps: 1, payloadBytes: 1000 })
    // (1000 + 16) bytes at 1 Mbit/s = 8.128 ms per hop, plus 10 ms latency
    assert.equal(result.coverage.t100, 7 * 18.128)
    assert.deepEqual(result.coverage, result.bound)
  })

  it('gnutella with a small TTL stops early', () => {
    const graph = buildNetwork({ edges: edgeList(10, lineLinks(10)), latency: 'constant:10' })
    const result = simulate({ strategy: gnutella({ ttl: 3 }), graph, messages: 1, sources: [0], bandwidthMbps: 0 })
    assert.equal(result.deliveryPct, 33.333, '3 of 9 nodes')
    assert.equal(result.coverage.t100, null)
    assert.equal(result.bound.t100, 90)
    const byName = simulate({ strategy: 'gnutella', ttl: 3, graph, messages: 1, sources: [0], bandwidthMbps: 0 })
    assert.equal(byName.deliveryPct, 33.333)
  })

  it('announce fetches about one payload copy per node', () => {
    const result = simulate({ strategy: 'announce', nodes: 500, messages: 5 })
    assert.equal(result.deliveryPct, 100)
    assert.ok(result.copiesPerNodePerMessage <= 1.05, `${result.copiesPerNodePerMessage} copies`)
  })

  it("dandelion's first-spy guess accuracy is below diffusion's with 10 % spies", function () {
    this.timeout(60_000)
    const base = { nodes: 600, messages: 100, spies: 0.1, seed: 1 }
    const graph = buildNetwork(base)
    const diffusion = simulate({ ...base, graph, strategy: 'diffusion' })
    const dandelion = simulate({ ...base, graph, strategy: 'dandelion' })
    assert.ok(diffusion.spy != null && dandelion.spy != null)
    assert.equal(dandelion.spy.spies, 60)
    assert.equal(dandelion.deliveryPct, 100)
    assert.ok(dandelion.spy.accuracy < diffusion.spy.accuracy,
      `dandelion ${dandelion.spy.accuracy} vs diffusion ${diffusion.spy.accuracy}`)
  })
})

describe('determinism', () => {
  const options: SimulationOptions = { strategy: 'dandelion', nodes: 300, messages: 5, spies: 0.1, churn: 1, loss: 0.01, delayers: 0.05, seed: 42 }

  it('the same seed gives the same result, JSON and all', () => {
    const a = simulate(options)
    const b = simulate(options)
    assert.equal(JSON.stringify(pure(a)), JSON.stringify(pure(b)))
    const c = simulate({ ...options, graph: buildNetwork(options) })
    assert.equal(JSON.stringify(pure(a)), JSON.stringify(pure(c)), 'a prebuilt network changes nothing')
  })

  it('another seed gives another result', () => {
    const a = simulate(options)
    const b = simulate({ ...options, seed: 43 })
    assert.notEqual(JSON.stringify(pure(a)), JSON.stringify(pure(b)))
  })
})

describe('churn and adversaries', () => {
  const base = { nodes: 400, messages: 10, seed: 5 }

  it('churn: nodes leave and rejoin, messages miss some of them', () => {
    const result = simulate({ ...base, strategy: 'flood', churn: 2, churnDowntimeMs: 30_000, horizonMs: 20_000 })
    assert.ok(result.churnEvents.leaves > 0 && result.churnEvents.joins > 0)
    assert.ok(result.deliveryPct < 100 && result.deliveryPct > 50, `${result.deliveryPct} %`)
    assert.equal(result.coverage.t100, null)
  })

  it('droppers swallow frames: flood routes around them, a little later', () => {
    const clean = simulate({ ...base, strategy: 'flood' })
    const dropped = simulate({ ...base, strategy: 'flood', droppers: 0.2 })
    assert.ok(dropped.framesLost > 0)
    // droppers still receive; a node cut off by droppers on every side does not
    assert.ok(dropped.deliveryPct > 95)
    assert.ok((dropped.coverage.t90 ?? 0) >= (clean.coverage.t90 ?? 0))
  })

  it('delayers slow flood down', () => {
    const clean = simulate({ ...base, strategy: 'flood' })
    const delayed = simulate({ ...base, strategy: 'flood', delayers: 0.5, delayMs: 500 })
    assert.equal(delayed.deliveryPct, 100)
    assert.ok((delayed.coverage.t50 ?? 0) > (clean.coverage.t50 ?? 0))
  })

  it('loss lowers the reach of a TTL-bounded fanout strategy', () => {
    const lossless = simulate({ ...base, strategy: gnutella({ ttl: 3, fanout: 2 }) })
    const lossy = simulate({ ...base, strategy: gnutella({ ttl: 3, fanout: 2 }), loss: 0.3 })
    assert.ok(lossy.deliveryPct < lossless.deliveryPct)
  })

  it('an adversarial validator is asked for every message', () => {
    const result = simulate({ ...base, strategy: 'flood', validator: (node) => node % 2 === 0 ? 'reject' : 'accept' })
    assert.ok(result.reports > 0, 'rejections are reported as infractions')
    assert.ok(result.deliveryPct < 60)
  })
})

describe("the anonymity papers' settings", () => {
  it("scores the papers' precision per node, beside guess accuracy and recall", () => {
    // sources 0..3 publish one message each; the estimator names 0, 0, 2 and nothing
    const a = attribution([0, 0, 2, -1], [0, 1, 2, 3])
    assert.equal(a.guessed, 3)
    assert.equal(a.correct, 2)
    assert.equal(a.recall, 2 / 4)
    assert.equal(a.accuracy, 2 / 3)
    // node 0: its own among 2 named → 1/2; node 1: 0; node 2: 1/1; node 3: 0
    assert.equal(a.precision, (1 / 2 + 1) / 4)
  })

  it('publishes one message from every honest node, once each', () => {
    const r = simulate({ strategy: 'flood', nodes: 200, onePerHonest: true, spies: 0.1, intervalMs: 10, seed: 4 })
    assert.equal(r.config.messages, 180)
    assert.equal(r.deliveryPct, 100)
    assert.ok(r.spy != null && r.spy.guessed === 180)
  })

  it('puts spies where the user says, and silent spies send nothing', () => {
    const spyNodes = [3, 4, 5]
    const honest = simulate({ strategy: 'flood', nodes: 100, messages: 10, spyNodes, seed: 2 })
    assert.equal(honest.spy?.spies, 3)
    assert.equal(honest.deliveryPct, 100)
    // a star whose hub is a silent spy: nothing gets past it
    const star = simulate({ strategy: 'flood', edges: edgeList(10, starLinks(10)), messages: 5, spyNodes: [0], spiesRelay: false, seed: 2 })
    assert.equal(star.spy?.spies, 1)
    assert.equal(star.spy?.recall, 1, 'the hub names every leaf that publishes')
    assert.ok(star.deliveryPct < 15, `delivery ${star.deliveryPct} %`)
    assert.throws(() => simulate({ strategy: 'flood', nodes: 10, spyNodes: [10] }), /not a node/)
  })

  it("builds d-regular trees: the root and inner nodes have d links, the leaves one", () => {
    const tree = regularTree(3, 3)
    assert.equal(tree.n, 1 + 3 + 6 + 12)
    const graph = buildGraph(tree, () => 1)
    const degree = (i: number): number => graph.offsets[i + 1] - graph.offsets[i]
    assert.equal(degree(0), 3)
    for (let i = 1; i < 10; i++) assert.equal(degree(i), 3)
    for (let i = 10; i < tree.n; i++) assert.equal(degree(i), 1)
    assert.equal(tree.count, tree.n - 1)
  })

  it('builds a random Hamiltonian cycle: one outbound and one inbound link each, one cycle through all', () => {
    const ring = randomRing(50, seededRng(3))
    const graph = buildGraph(ring, () => 1)
    const next = new Int32Array(50).fill(-1)
    for (let i = 0; i < 50; i++) {
      assert.equal(graph.offsets[i + 1] - graph.offsets[i], 2)
      for (let e = graph.offsets[i]; e < graph.offsets[i + 1]; e++) if (graph.outbound[e] === 1) next[i] = graph.targets[e]
    }
    let at = 0
    const visited = new Set<number>()
    for (let k = 0; k < 50; k++) { visited.add(at); at = next[at] }
    assert.equal(at, 0)
    assert.equal(visited.size, 50)
  })

  it("an eavesdropper on every node finds a flooding root at once (first timestamp), and diffusion's less often", () => {
    const base = { topology: { kind: 'tree', degree: 4, depth: 5 } as const, sources: [0], messages: 60, intervalMs: 0, horizonMs: 5000, bandwidthMbps: 0, latency: 'constant:1', eavesdropper: 1, seed: 5 }
    const flood = simulate({ ...base, strategy: 'flood' })
    assert.equal(flood.spy?.recall, 1, 'the root sends to the eavesdropper before anyone else has the message')
    const slow = simulate({ ...base, strategy: diffusion({ meanDelayMs: 1000 }) })
    assert.ok(slow.spy != null && slow.spy.recall > 0.1 && slow.spy.recall < 0.6, `diffusion recall ${slow.spy?.recall}`)
  })

  it('dandelion fires no embargo on sparse 4-regular graphs with one message per honest node', function () {
    this.timeout(60_000)
    for (const seed of [1, 2]) {
      const r = simulate({ strategy: 'dandelion', nodes: 300, topology: { kind: 'random', degree: 4 }, onePerHonest: true, intervalMs: 20, seed })
      assert.equal(r.deliveryPct, 100)
      assert.equal(r.embargoes, 0, `seed ${seed}: no stem waited for its embargo`)
    }
  })
})

describe('threads', () => {
  // worker threads are real: each case starts 2 or 3 of them
  const cases: SimulationOptions[] = [
    { strategy: 'flood', nodes: 1000 },
    { strategy: 'dandelion', nodes: 800, spies: 0.1 },
    { strategy: 'announce', nodes: 500, spies: 0.1 },
    // lost frames stall requests: held ones are answered notfound, across threads too
    { strategy: 'announce', nodes: 500, loss: 0.05 },
    { strategy: 'gnutella', nodes: 800, loss: 0.05, ttl: 4 },
    // a constant latency and unlimited uplinks make many events fall at one virtual time
    { strategy: 'diffusion', nodes: 600, droppers: 0.05, delayers: 0.05, bandwidthMbps: 0, latency: 'constant:20' },
    // the papers' settings: one message per honest node, an eavesdropper, chosen silent spies
    { strategy: 'diffusion', nodes: 300, onePerHonest: true, spies: 0.1, eavesdropper: 1, intervalMs: 20, horizonMs: 60_000 },
    { strategy: 'dandelion', nodes: 300, messages: 30, spyNodes: [1, 5, 9, 40, 77], spiesRelay: false },
    // the centrality estimators: what spies on other threads saw is merged before the centres are taken
    { strategy: 'diffusion', nodes: 300, messages: 30, spies: 0.2, centreReports: 8, latency: 'constant:5' }
  ]
  for (const options of cases) {
    it(`gives the same result on 1, 2 and 3 threads: ${JSON.stringify(options)}`, async () => {
      const one = pure(simulate({ ...options, seed: 3 }))
      assert.ok(one.events > 0)
      for (const workers of [2, 3]) assert.deepEqual(pure(await simulateParallel({ ...options, seed: 3 }, workers)), one)
    })
  }

  it('runs on one thread what threads cannot share', async () => {
    assert.match(notParallel({ strategy: gnutella({ ttl: 2 }) }) ?? '', /name/)
    assert.match(notParallel({ strategy: 'flood', validator: () => 'accept' }) ?? '', /validator/)
    assert.match(notParallel({ strategy: 'flood', churn: 1 }) ?? '', /churn/)
    const options: SimulationOptions = { strategy: 'flood', nodes: 300, churn: 1, seed: 2 }
    assert.deepEqual(pure(await simulateParallel(options, 2)), pure(simulate(options)))
  })
})

describe('reports', () => {
  it('renders a table and SVG charts', () => {
    const results = ['flood', 'diffusion'].map(strategy => simulate({ strategy: strategy as 'flood', nodes: 200, messages: 3 }))
    const table = resultsTable(results)
    assert.match(table, /\| flood \| 100\.00 \|/)
    for (const svg of [coverageChart(results), latencyChart(results)]) {
      assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/)
      assert.match(svg, /diffusion/)
      assert.match(svg, /<path d="M/)
      assert.match(svg, /<\/svg>\n$/)
    }
  })
})
