import { createHash, randomBytes } from 'node:crypto'
import { seededRng } from '@hearsay/sansio'
import { createHost, type Host } from '@hearsay/host'
import { topologyEdges } from '@hearsay/host/testnet'
import { announce, dandelion, diffusion, flood, gnutella, gossipsub, type Strategy } from '@hearsay/gossip'
import { cdf, markdownTable, quantile, type Figure, type Scenario } from '../lib/report.ts'

/** The strategies compared, as a user gets them by default; gossipsub is the baseline. */
/**
 * Every strategy at its defaults; with `quick`, Dandelion's embargo is hearsay-relay's 5 s
 * instead of 30 s — a stem that loops among nodes that never fluff (likely on a dozen hosts)
 * is then published by its embargo within seconds, keeping the quick run under 2 minutes.
 */
function strategies (quick: boolean): Array<[string, Strategy]> {
  return [
    ['gossipsub', gossipsub()],
    ['flood', flood()],
    ['gnutella', gnutella()],
    ['diffusion', diffusion()],
    ['dandelion', quick ? dandelion({ embargoMs: 5_000 }) : dandelion()],
    ['announce', announce()]
  ]
}

interface Row {
  strategy: string
  delivery: number
  p50: number
  p90: number
  max: number
  copies: number
  bytes: number
  degree: number
  /** embargo timers that fired, over all hosts (Dandelion: stems that died on their way) */
  embargoes: number
  /** the latency CDF, downsampled for the chart */
  cdf: Array<[number, number]>
}

/**
 * `gossip`: one network of real hosts on loopback (TCP + Noise + Yamux), a connected random
 * graph of degree ≥ 4; each strategy in turn carries the same messages from random publishers.
 */
export const gossipScenario: Scenario = {
  name: 'gossip',
  description: 'every relay strategy and gossipsub on one 30-host network: delivery, latency, copies, bytes',
  async run ({ quick, log }) {
    const n = quick ? 12 : 30
    const messages = quick ? 15 : 50
    const payloadBytes = 1024
    const spacingMs = quick ? 50 : 100
    const edges = topologyEdges({ random: 4 }, n, seededRng(2026))
    const hosts: Host[] = []
    try {
      for (let i = 0; i < n; i++) {
        const ip = `127.0.50.${i + 1}`
        // only the seeded links: discovery and a DHT server would keep adding connections during
        // the run, and later strategies would then measure a denser network than earlier ones
        hosts.push(await createHost({ listen: [`/ip4/${ip}/tcp/0`], dialFrom: ip, discovery: false, dht: { clientMode: true } }))
      }
      await dialAll(hosts, edges)
      log(`${n} hosts, ${edges.length} links`)
      const rows: Row[] = []
      for (const [name, strategy] of strategies(quick)) {
        rows.push(await measure(hosts, edges, name, strategy, { messages, payloadBytes, spacingMs, log }))
      }
      const base = rows[0]
      const figures: Figure[] = rows.flatMap(row => [
        figure(`${row.strategy} delivery`, row.delivery, '%', base.delivery),
        figure(`${row.strategy} latency p50`, row.p50, 'ms', base.p50),
        figure(`${row.strategy} latency p90`, row.p90, 'ms', base.p90),
        figure(`${row.strategy} latency max`, row.max, 'ms', base.max),
        figure(`${row.strategy} payload copies per host per message`, row.copies, 'copies', base.copies),
        figure(`${row.strategy} payload bytes in per host`, row.bytes, 'bytes', base.bytes),
        figure(`${row.strategy} embargo fires`, row.embargoes, 'fires', base.embargoes)
      ])
      const table = markdownTable(
        ['strategy', 'mean degree', 'delivery %', 'p50 ms', 'p90 ms', 'max ms', 'p90 / gossipsub', 'copies per host per msg', 'KiB in per host', 'embargo fires'],
        rows.map(r => [r.strategy, r.degree, r.delivery, r.p50, r.p90, r.max, r.p90 / base.p90, r.copies, r.bytes / 1024, r.embargoes])
      )
      const find = (s: string): Row | undefined => rows.find(r => r.strategy === s)
      const goals = []
      for (const s of ['flood', 'announce']) {
        const row = find(s)
        if (row == null) continue
        goals.push({ goal: `${s} at least as fast as gossipsub at p90`, met: row.p90 <= base.p90, detail: `${row.p90.toFixed(1)} ms vs ${base.p90.toFixed(1)} ms` })
      }
      const announceRow = find('announce')
      if (announceRow != null) {
        goals.push({ goal: 'announce ≤ 1.05 payload copies per host', met: announceRow.copies <= 1.05, detail: `${announceRow.copies.toFixed(3)} copies` })
      }
      const charts = [{
        file: 'gossip-latency-cdf',
        title: `Gossip delivery latency CDF (${n} hosts on loopback)`,
        xLabel: 'ms from publish to delivery (log scale)',
        yLabel: 'share of deliveries',
        yPercent: true,
        logX: true,
        series: rows.map(r => ({ name: r.strategy, points: r.cdf }))
      }]
      return { scenario: 'gossip', baseline: 'gossipsub on the same network in the same run', figures, table: `${n} hosts, ${edges.length} links (a seeded connected random graph, no discovery, DHT in client mode), ${messages} messages of ${payloadBytes} bytes, one every ${spacingMs} ms from random publishers\n\n${table}`, goals, charts }
    } finally {
      await Promise.all(hosts.map(async h => { await h.stop() }))
    }
  }
}

function figure (name: string, value: number, unit: string, baseline: number): Figure {
  return { name, value, unit, baseline, ratio: baseline === 0 ? undefined : value / baseline }
}

async function measure (hosts: Host[], edges: Array<[number, number]>, name: string, strategy: Strategy,
  options: { messages: number, payloadBytes: number, spacingMs: number, log: (line: string) => void }): Promise<Row> {
  const topic = `bench-${name}`
  const published = new Map<string, { at: number, by: number }>()
  const latencies: number[] = []
  let deliveries = 0
  const listeners = hosts.map((host, i) => {
    const listener = (event: CustomEvent<{ topic: string, id: string }>): void => {
      if (event.detail.topic !== topic) return
      const origin = published.get(event.detail.id)
      if (origin == null || origin.by === i) return
      deliveries++
      latencies.push(performance.now() - origin.at)
    }
    host.services.gossip.addEventListener('message', listener)
    host.services.gossip.subscribe(topic, { strategy })
    return listener
  })
  const degree = (i: number): number => edges.filter(([a, b]) => a === i || b === i).length
  await until(() => hosts.every((h, i) => h.services.gossip.getSubscribers(topic).length >= degree(i)), 20_000)
  // gossipsub grafts its mesh on its 1 s heartbeat
  await sleep(name === 'gossipsub' ? 2000 : 200)

  // the graph each strategy saw (gossipsub reports its mesh peers)
  const degreeSeen = hosts.reduce((sum, h) => sum + h.services.gossip.getSubscribers(topic).length, 0) / hosts.length
  const rng = seededRng(name.length)
  const expected = options.messages * (hosts.length - 1)
  const started = performance.now()
  for (let m = 0; m < options.messages; m++) {
    const by = rng.int(hosts.length)
    const data = randomBytes(options.payloadBytes)
    // every strategy's default id is the payload's SHA-256: record it before any copy can arrive
    published.set(createHash('sha256').update(data).digest('hex'), { at: performance.now(), by })
    await hosts[by].services.gossip.publish(topic, data)
    await sleep(options.spacingMs)
  }
  await until(() => deliveries >= expected, 90_000)
  const stats = hosts.map(h => h.services.gossip.stats(topic))
  options.log(`${name}: mean degree ${degreeSeen.toFixed(1)}, ${deliveries}/${expected} deliveries in ${((performance.now() - started) / 1000).toFixed(1)} s, ${stats.reduce((sum, s) => sum + (s?.embargoes ?? 0), 0)} embargo fires`)
  hosts.forEach((host, i) => {
    host.services.gossip.removeEventListener('message', listeners[i])
    host.services.gossip.unsubscribe(topic)
  })
  const received = stats.reduce((sum, s) => sum + (s?.received ?? 0), 0)
  const bytesIn = stats.reduce((sum, s) => sum + (s?.bytesIn ?? 0), 0)
  const embargoes = stats.reduce((sum, s) => sum + (s?.embargoes ?? 0), 0)
  return {
    strategy: name,
    delivery: 100 * deliveries / expected,
    p50: quantile(latencies, 0.5),
    p90: quantile(latencies, 0.9),
    max: quantile(latencies, 1),
    copies: received / hosts.length / options.messages,
    bytes: bytesIn / hosts.length,
    degree: degreeSeen,
    embargoes,
    cdf: cdf(latencies).map(([ms, share]) => [Math.round(ms * 100) / 100, share])
  }
}

/**
 * Dial every link, a few at a time and each up to 3 times: 100+ Noise handshakes at once on a
 * busy 2-core machine run past libp2p's handshake timeout, and a lost link would change the graph.
 */
async function dialAll (hosts: Host[], edges: Array<[number, number]>): Promise<void> {
  const queue = [...edges]
  const worker = async (): Promise<void> => {
    for (let edge = queue.shift(); edge != null; edge = queue.shift()) {
      const [a, b] = edge
      for (let attempt = 1; ; attempt++) {
        try {
          await hosts[a].dial(hosts[b].getMultiaddrs())
          break
        } catch (err) {
          if (attempt >= 3) throw err
        }
      }
    }
  }
  await Promise.all(Array.from({ length: 8 }, worker))
}

async function until (condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) return false
    await sleep(25)
  }
  return true
}

async function sleep (ms: number): Promise<void> {
  await new Promise(resolve => setTimeout(resolve, ms))
}
