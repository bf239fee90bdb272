import { generateKeyPairSync, type KeyObject } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { availableParallelism, freemem } from 'node:os'
import { fileURLToPath } from 'node:url'
import { JsonProcess } from '../../examples/demo/src/process.ts'
import { publicKeyHex, signTx, txToJson } from '../../examples/tx-relay/src/tx.ts'
import { markdownTable, quantile, type Figure, type Scenario } from '../lib/report.ts'

const cli = fileURLToPath(new URL('../../examples/tx-relay/src/cli.ts', import.meta.url))
const STRATEGIES = ['flood', 'gnutella', 'diffusion', 'dandelion', 'announce', 'gossipsub']
const QUICK_STRATEGIES = ['flood', 'dandelion', 'gossipsub']

interface Row {
  strategy: string
  /** transactions POSTed */
  offered: number
  /** accepted by the node they were POSTed to: the transactions every node should get */
  sent: number
  /** POSTs refused or failed, by reason */
  refused: Record<string, number>
  /** sent transactions in every mempool */
  propagated: number
  /** per node: how many of the sent transactions its mempool holds */
  delivered: number[]
  /** per node: sent transactions it lacks at the deadline, by the reason it reported ("missing": none) */
  lost: Array<Record<string, number>>
  /** per node: transactions its mempool accepted during the run, by its own counter */
  accepted: number[]
  txPerSecond: number
  p50: number
  p90: number
  bytesPerTxPerNode: number
  cpuMsPerTxPerNode: number
}

/** Each node process needs about this much memory at the offered load (RSS of a node at 50 tx/s). */
const MIB_PER_NODE = 250

/**
 * The devnet this machine carries: three node processes and 25 offered tx/s per core (20
 * processes at 100 tx/s overloaded 2 cores and never drained), at most 20 nodes, and no more
 * nodes than free memory holds. Quick keeps at most 5 nodes for a few seconds.
 */
export function devnetSize (quick: boolean, cores = availableParallelism(), freeMiB = freemem() / 2 ** 20): { nodes: number, rate: number, seconds: number } {
  const nodes = Math.max(3, Math.min(20, 3 * cores, Math.floor(freeMiB / MIB_PER_NODE)))
  return { nodes: quick ? Math.min(5, nodes) : nodes, rate: 25 * cores, seconds: quick ? 2 : 8 }
}

/** How long after the last POST the transactions may take to reach every mempool (Dandelion's embargo is 5 s). */
const DRAIN_MS = 30_000

/**
 * `relay`: hearsay-relay devnets of real node processes, one per strategy in turn, sized to the
 * machine (devnetSize). Transactions go to random nodes at a fixed offered rate; the figures
 * are how many per second reached every mempool, how long that took, and what it cost each node.
 * Every transaction is accounted for at every node: delivered, or lost with the reason the node
 * reported (its mempool refused it) or "missing" (never arrived by the deadline). Flood is the
 * baseline.
 */
export const relayScenario: Scenario = {
  name: 'relay',
  description: 'hearsay-relay devnets sized to the machine: tx/s at 100% propagation, latency, bytes and CPU per tx per node, every tx accounted',
  async run ({ quick, log }) {
    const { nodes, rate, seconds } = devnetSize(quick)
    log(`relay: ${nodes} node processes per devnet, ${rate} tx/s for ${seconds} s (${availableParallelism()} cores, ${Math.round(freemem() / 2 ** 20)} MiB free)`)
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
      fig(`${r.strategy} CPU per tx per node`, r.cpuMsPerTxPerNode, 'ms', base.cpuMsPerTxPerNode),
      fig(`${r.strategy} transactions lost`, lostCount(r), 'txs', lostCount(base))
    ])
    const table = markdownTable(
      ['relay', 'sent / offered', 'propagated', 'delivered / lost over all nodes', 'tx/s to all nodes', 'p50 ms', 'p90 ms', 'p50 / flood', 'p90 / flood', 'payload bytes per tx per node', 'CPU ms per tx per node'],
      rows.map(r => [r.strategy, `${r.sent}/${r.offered}`, `${r.propagated}/${r.sent}`, `${sum(r.delivered)} / ${lostCount(r)}`, r.txPerSecond, r.p50, r.p90, r.p50 / base.p50, r.p90 / base.p90, r.bytesPerTxPerNode, r.cpuMsPerTxPerNode]))
    const accounting = rows.map(r => `- ${r.strategy}: ${accountingLine(r)}`).join('\n')
    // a node's own count of what it accepted must match its mempool, and every loss must have a
    // reason the node reported: "missing" is a transaction nobody can say what became of
    const unexplained = rows.map(r => ({ strategy: r.strategy, missing: sum(r.lost.map(l => l.missing ?? 0)), mismatched: r.delivered.filter((d, i) => d !== r.accepted[i]).length }))
    const goals = [{
      goal: 'every transaction accounted for at every node: delivered, or lost with a reason the node reported',
      met: unexplained.every(u => u.missing === 0 && u.mismatched === 0),
      detail: rows.map((r, i) => `${r.strategy} ${sum(r.delivered)} delivered + ${lostCount(r)} lost (${unexplained[i].missing} missing) of ${r.sent} × ${nodes}${unexplained[i].mismatched > 0 ? `, ${unexplained[i].mismatched} nodes whose accepted count differs from their mempool` : ''}`).join('; ')
    }]
    return {
      scenario: 'relay',
      baseline: 'flood on a devnet of the same size in the same run',
      figures,
      table: `${nodes} node processes per devnet, ${rate} tx/s offered for ${seconds} s to random nodes (sized to ${availableParallelism()} cores: 3 nodes and 25 tx/s per core); a transaction propagated once it is in every mempool, p50/p90 of that time\n\n${table}\n\nPer node, sent = delivered + lost (lost with the reason the node reported; "missing": never arrived within ${DRAIN_MS / 1000} s of the last POST):\n\n${accounting}`,
      goals
    }
  }
}

function sum (values: number[]): number {
  return values.reduce((a, b) => a + b, 0)
}

function lostCount (row: Row): number {
  return sum(row.lost.map(l => sum(Object.values(l))))
}

/** `node i: delivered + lost` for every node, and the refused POSTs. */
function accountingLine (row: Row): string {
  const nodes = row.delivered.map((d, i) => {
    const lost = Object.entries(row.lost[i]).filter(([, n]) => n > 0).map(([reason, n]) => ` + ${n} lost (${reason})`).join('')
    return `node ${i}: ${d} delivered${lost}`
  })
  const refused = Object.entries(row.refused).map(([reason, n]) => `${n} ${reason}`).join(', ')
  return `${row.sent} sent of ${row.offered} offered${refused === '' ? '' : ` (refused: ${refused})`}; ${nodes.join(', ')}`
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
    // and until the topic's peer counts hold still for 2 s (discovery still dialling would make the
    // first strategy's figures pay for it), all bounded by 30 s
    const ready = Date.now() + 30_000
    let counts = ''
    let stillSince = Date.now()
    while (Date.now() < ready) {
      const stats = await Promise.all(apis.map(async api => await getJson(`${api}/stats?limit=1`)))
      const now = stats.map(s => s.gossip?.peers ?? 0).join(',')
      if (now !== counts) [counts, stillSince] = [now, Date.now()]
      if (stats.every(s => (s.gossip?.peers ?? 0) > 0) && Date.now() - stillSince >= 2000) break
      await new Promise(resolve => setTimeout(resolve, 250))
    }
    const before = await Promise.all(apis.map(async api => await getJson(`${api}/stats?limit=1`)))

    const keys: KeyObject[] = Array.from({ length: 50 }, () => generateKeyPairSync('ed25519').privateKey)
    const nonces = keys.map(() => 0n)
    const sent = new Map<string, number>()
    const refused: Record<string, number> = {}
    const refuse = (reason: string): void => { refused[reason] = (refused[reason] ?? 0) + 1 }
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
        .then(async res => {
          const body = await res.json() as { id?: string, reason?: string, error?: string }
          if (res.ok && body.id != null) sent.set(body.id, at)
          else refuse(`HTTP ${res.status} ${body.reason ?? body.error ?? ''}`.trim())
        }, (err: Error) => { refuse(`failed: ${err.message}`) }))
    }
    await Promise.all(inflight)
    // wait until every mempool holds every transaction (bounded)
    const deadline = Date.now() + DRAIN_MS
    let pools: Array<Map<string, number>> = []
    while (true) {
      const listed = await Promise.all(apis.map(async api => await getJson(`${api}/mempool?limit=10000`) as { txs: Array<{ id: string, addedAt: number }> }))
      pools = listed.map(p => new Map(p.txs.map(t => [t.id, t.addedAt])))
      if (pools.every(p => [...sent.keys()].every(id => p.has(id))) || Date.now() >= deadline) break
      await new Promise(resolve => setTimeout(resolve, 250))
    }
    const after = await Promise.all(apis.map(async api => await getJson(`${api}/stats?limit=1`)))
    const latencies: number[] = []
    let lastArrival = t0
    let propagated = 0
    for (const [id, at] of sent) {
      const arrivals = pools.map(p => p.get(id))
      if (arrivals.some(a => a == null)) continue
      propagated++
      const all = Math.max(...(arrivals as number[]))
      latencies.push(all - at)
      lastArrival = Math.max(lastArrival, all)
    }
    const bytes = after.reduce((sum, s, i) => sum + (s.gossip?.bytesIn ?? 0) - (before[i].gossip?.bytesIn ?? 0), 0)
    const cpu = after.reduce((sum, s, i) => sum + (s.process.cpuUserMs + s.process.cpuSystemMs) - (before[i].process.cpuUserMs + before[i].process.cpuSystemMs), 0)
    const delivered = pools.map(p => [...sent.keys()].filter(id => p.has(id)).length)
    // what each node's mempool refused from gossip during the run; the rest never arrived
    const lost = delivered.map((d, i) => {
      const reasons: Record<string, number> = {}
      let explained = 0
      for (const [reason, n] of Object.entries<number>(after[i].counters?.rejected ?? {})) {
        const during = Math.min(n - (before[i].counters?.rejected?.[reason] ?? 0), sent.size - d - explained)
        if (during > 0) { reasons[reason] = during; explained += during }
      }
      if (sent.size - d - explained > 0) reasons.missing = sent.size - d - explained
      return reasons
    })
    const row: Row = {
      strategy,
      offered: total,
      sent: sent.size,
      refused,
      propagated,
      delivered,
      lost,
      accepted: after.map((a, i) => (a.counters?.accepted ?? 0) - (before[i].counters?.accepted ?? 0)),
      txPerSecond: propagated / ((lastArrival - t0) / 1000),
      p50: quantile(latencies, 0.5),
      p90: quantile(latencies, 0.9),
      bytesPerTxPerNode: bytes / Math.max(1, sent.size) / apis.length,
      cpuMsPerTxPerNode: cpu / Math.max(1, sent.size) / apis.length
    }
    options.log(`${strategy}: ${propagated}/${sent.size} propagated, ${row.txPerSecond.toFixed(1)} tx/s, p50 ${row.p50} ms, p90 ${row.p90} ms; ${accountingLine(row)}`)
    return row
  } finally {
    await devnet.stop(10_000)
  }
}
