import { generateKeyPairSync, type KeyObject } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { JsonProcess } from '../../examples/demo/src/process.ts'
import { publicKeyHex, signTx, txToJson } from '../../examples/tx-relay/src/tx.ts'
import { markdownTable, quantile, type Figure, type Scenario } from '../lib/report.ts'

const cli = fileURLToPath(new URL('../../examples/tx-relay/src/cli.ts', import.meta.url))
const STRATEGIES = ['flood', 'gnutella', 'diffusion', 'dandelion', 'announce', 'gossipsub']
const QUICK_STRATEGIES = ['flood', 'dandelion', 'gossipsub']

interface Row {
  strategy: string
  submitted: number
  propagated: number
  txPerSecond: number
  p50: number
  p90: number
  bytesPerTxPerNode: number
  cpuMsPerTxPerNode: number
}

/**
 * `relay`: hearsay-relay devnets of real node processes, one per strategy in turn. Transactions
 * go to random nodes at a fixed offered rate; the figures are how many per second reached every
 * mempool, how long that took, and what it cost each node. Flood is the baseline.
 */
export const relayScenario: Scenario = {
  name: 'relay',
  description: 'hearsay-relay devnets (20 processes): tx/s at 100% propagation, latency, bytes and CPU per tx per node',
  async run ({ quick, log }) {
    const nodes = quick ? 5 : 20
    const rate = quick ? 50 : 100
    const seconds = quick ? 2 : 10
    // quick keeps the baseline and the two relays people compare it with, to stay within 2 minutes
    const strategies = quick ? QUICK_STRATEGIES : STRATEGIES
    const rows: Row[] = []
    for (const strategy of strategies) rows.push(await measure(strategy, { nodes, rate, seconds, log }))
    const base = rows[0]
    const figures: Figure[] = rows.flatMap(r => [
      fig(`${r.strategy} tx/s at 100% propagation`, r.txPerSecond, 'tx/s', base.txPerSecond),
      fig(`${r.strategy} propagation p50`, r.p50, 'ms', base.p50),
      fig(`${r.strategy} propagation p90`, r.p90, 'ms', base.p90),
      fig(`${r.strategy} payload bytes per tx per node`, r.bytesPerTxPerNode, 'bytes', base.bytesPerTxPerNode),
      fig(`${r.strategy} CPU per tx per node`, r.cpuMsPerTxPerNode, 'ms', base.cpuMsPerTxPerNode)
    ])
    const table = markdownTable(
      ['relay', 'propagated', 'tx/s to all nodes', 'p50 ms', 'p90 ms', 'p90 / flood', 'payload bytes per tx per node', 'CPU ms per tx per node'],
      rows.map(r => [r.strategy, `${r.propagated}/${r.submitted}`, r.txPerSecond, r.p50, r.p90, r.p90 / base.p90, r.bytesPerTxPerNode, r.cpuMsPerTxPerNode]))
    return {
      scenario: 'relay',
      baseline: 'flood on a devnet of the same size in the same run',
      figures,
      table: `${nodes} node processes per devnet, ${rate} tx/s offered for ${seconds} s to random nodes\n\n${table}`,
      goals: []
    }
  }
}

function fig (name: string, value: number, unit: string, baseline: number): Figure {
  return { name, value, unit, baseline, ratio: baseline === 0 ? undefined : value / baseline }
}

async function getJson (url: string): Promise<any> {
  return await (await fetch(url)).json()
}

async function measure (strategy: string, options: { nodes: number, rate: number, seconds: number, log: (line: string) => void }): Promise<Row> {
  const devnet = new JsonProcess(`devnet ${strategy}`, cli, ['devnet', '--nodes', String(options.nodes), '--relay', strategy, '--json'])
  try {
    const started = await devnet.waitFor(e => e.event === 'devnet', 120_000)
    const apis = (started.nodes as Array<{ api: string }>).map(n => n.api)
    // writes need each node's token, from the cookie file in its data directory
    const tokens = await Promise.all((started.nodes as Array<{ cookie: string }>).map(async n => (await readFile(n.cookie, 'utf8')).trim()))
    // wait for every node to have a peer on the transaction topic, then a little for meshes
    const ready = Date.now() + 30_000
    while (Date.now() < ready) {
      const stats = await Promise.all(apis.map(async api => await getJson(`${api}/stats?limit=1`)))
      if (stats.every(s => (s.gossip?.peers ?? 0) > 0)) break
      await new Promise(resolve => setTimeout(resolve, 250))
    }
    await new Promise(resolve => setTimeout(resolve, 2000))
    const before = await Promise.all(apis.map(async api => await getJson(`${api}/stats?limit=1`)))

    const keys: KeyObject[] = Array.from({ length: 50 }, () => generateKeyPairSync('ed25519').privateKey)
    const nonces = keys.map(() => 0n)
    const sent = new Map<string, number>()
    const total = options.rate * options.seconds
    const t0 = Date.now()
    const inflight: Array<Promise<void>> = []
    for (let i = 0; i < total; i++) {
      const due = t0 + (i * 1000) / options.rate
      if (due > Date.now()) await new Promise(resolve => setTimeout(resolve, due - Date.now()))
      const k = i % keys.length
      const tx = signTx({ from: publicKeyHex(keys[k]), to: 'ab'.repeat(32), amount: 1n, fee: 1n + BigInt(i % 7), nonce: nonces[k]++ }, keys[k])
      const at = Date.now()
      inflight.push(fetch(`${apis[i % apis.length]}/tx`, { method: 'POST', body: JSON.stringify(txToJson(tx)), headers: { authorization: `Bearer ${tokens[i % apis.length]}` } })
        .then(async res => { const body = await res.json() as { id?: string }; if (body.id != null) sent.set(body.id, at) }, () => {}))
    }
    await Promise.all(inflight)
    // wait until every mempool holds every transaction (bounded)
    const deadline = Date.now() + 60_000
    let pools: Array<{ txs: Array<{ id: string, addedAt: number }> }> = []
    while (Date.now() < deadline) {
      pools = await Promise.all(apis.map(async api => await getJson(`${api}/mempool?limit=10000`)))
      if (pools.every(p => p.txs.length >= sent.size)) break
      await new Promise(resolve => setTimeout(resolve, 250))
    }
    const after = await Promise.all(apis.map(async api => await getJson(`${api}/stats?limit=1`)))
    const latencies: number[] = []
    let lastArrival = t0
    let propagated = 0
    for (const [id, at] of sent) {
      const arrivals = pools.map(p => p.txs.find(t => t.id === id)?.addedAt)
      if (arrivals.some(a => a == null)) continue
      propagated++
      const all = Math.max(...(arrivals as number[]))
      latencies.push(all - at)
      lastArrival = Math.max(lastArrival, all)
    }
    const bytes = after.reduce((sum, s, i) => sum + (s.gossip?.bytesIn ?? 0) - (before[i].gossip?.bytesIn ?? 0), 0)
    const cpu = after.reduce((sum, s, i) => sum + (s.process.cpuUserMs + s.process.cpuSystemMs) - (before[i].process.cpuUserMs + before[i].process.cpuSystemMs), 0)
    const row: Row = {
      strategy,
      submitted: sent.size,
      propagated,
      txPerSecond: propagated / ((lastArrival - t0) / 1000),
      p50: quantile(latencies, 0.5),
      p90: quantile(latencies, 0.9),
      bytesPerTxPerNode: bytes / Math.max(1, sent.size) / apis.length,
      cpuMsPerTxPerNode: cpu / Math.max(1, sent.size) / apis.length
    }
    options.log(`${strategy}: ${propagated}/${sent.size} propagated, ${row.txPerSecond.toFixed(1)} tx/s, p90 ${row.p90} ms`)
    return row
  } finally {
    await devnet.stop(10_000)
  }
}
