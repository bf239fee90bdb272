/**
 * The quick-start demo: 5 hearsay hosts as separate processes on loopback, host i on
 * 127.0.0.<i+1> (each its own source address, as machines on a network would be; libp2p limits
 * inbound connections per source IP, which one shared address would trip). Host 0 is the
 * bootstrap host; hosts 1–4 know only its address. Each host then looks up every other host by
 * PeerId through the DHT and pings it; then one host publishes on two gossip topics, one
 * flooded and one relayed by Dandelion++, and every other host must receive both. The demo
 * prints the topology, round-trip times and delivery times. Then a hearsay-relay devnet relays
 * signed transactions, and hearsay-share downloads a file from 3 seeders at once. It stops every
 * process and exits 0 (1 if anything failed).
 */
// first: a demo whose launcher (npx, pnpm) died stops, and its hosts with it
import '../../shared/src/stop-with-launcher.ts'
import { spawn } from 'node:child_process'
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ownedTempDir } from '../../shared/src/temp-dir.ts'
import { JsonProcess, type ChildEvent } from './process.ts'
import { publicKeyHex, signTx, txToJson } from '../../tx-relay/src/tx.ts'
import { launcherEnv } from '../../shared/src/launcher-env.ts'

const NODES = 5
const STEP_TIMEOUT_MS = 30_000
const nodeScript = fileURLToPath(new URL('./node.ts', import.meta.url))
const relayCli = fileURLToPath(new URL('../../tx-relay/src/cli.ts', import.meta.url))
const shareCli = fileURLToPath(new URL('../../file-share/src/cli.ts', import.meta.url))

function short (peerId: string): string {
  return `${peerId.slice(0, 8)}…${peerId.slice(-4)}`
}

function median (values: number[]): number {
  const sorted = values.slice().sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

async function main (): Promise<void> {
  const started = performance.now()
  const procs: JsonProcess[] = []
  const shutdown = async (): Promise<void> => { await Promise.all(procs.map(async p => { await p.stop() })) }
  process.once('SIGINT', () => { void shutdown().then(() => process.exit(130)) })
  process.once('SIGTERM', () => { void shutdown().then(() => process.exit(143)) })

  try {
    console.log(`hearsay demo: ${NODES} hosts, each its own process, on 127.0.0.1-${NODES}\n`)
    const onLoopback = (i: number): string[] => ['--listen', `/ip4/127.0.0.${i + 1}/tcp/0`, '--dial-from', `127.0.0.${i + 1}`]
    procs.push(new JsonProcess('host #0', nodeScript, onLoopback(0)))
    const boot = await procs[0].waitFor(e => e.event === 'listening', STEP_TIMEOUT_MS)
    for (let i = 1; i < NODES; i++) {
      procs.push(new JsonProcess(`host #${i}`, nodeScript, [...onLoopback(i), '--bootstrap', boot.addrs[0]]))
    }
    const listening = [boot, ...await Promise.all(procs.slice(1).map(async p => p.waitFor(e => e.event === 'listening', STEP_TIMEOUT_MS)))]
    const ids = listening.map(e => e.peerId as string)
    const index = new Map(ids.map((id, i) => [id, i]))
    for (const [i, e] of listening.entries()) {
      console.log(`  #${i}  ${short(e.peerId)}  ${e.addrs[0].split('/p2p/')[0]}${i === 0 ? '   (bootstrap)' : '   bootstrap: #0'}`)
    }

    // every host looks up every other host by PeerId alone (only the DHT can tell it their
    // addresses), then pings each over the connection the lookup opened
    const runOn = async (i: number, cmd: string): Promise<ChildEvent[]> => {
      const mark = procs[i].events.length
      procs[i].send({ cmd, peers: ids.filter((_, j) => j !== i) })
      await procs[i].waitFor(e => e.event === `${cmd}-done`, STEP_TIMEOUT_MS, mark)
      return procs[i].events.slice(mark)
    }
    const lookupEvents = (await Promise.all(procs.map(async (_, i) => runOn(i, 'lookup')))).flat()
    // one host pings at a time: five processes share this machine's cores
    const pingEvents: ChildEvent[][] = []
    for (let i = 0; i < procs.length; i++) pingEvents.push(await runOn(i, 'ping'))

    const peerMarks = procs.map(p => p.events.length)
    for (const p of procs) p.send({ cmd: 'peers' })
    const peers = await Promise.all(procs.map(async (p, i) => p.waitFor(e => e.event === 'peers', STEP_TIMEOUT_MS, peerMarks[i])))

    console.log('\ntopology (who is connected to whom after the lookups; #0 introduced everyone):')
    for (const [i, e] of peers.entries()) {
      const links = [...new Set((e.connections as string[]).map(id => `#${index.get(id) ?? '?'}`))].sort()
      console.log(`  #${i} ── ${links.join(' ')}`)
    }

    console.log('\nround trip in ms (median of 5 pings; row pings column):')
    console.log('        ' + ids.map((_, j) => `#${j}`.padStart(7)).join(''))
    let failures = 0
    for (const [i, rows] of pingEvents.entries()) {
      const cells = ids.map((id, j) => {
        if (i === j) return '-'.padStart(7)
        const r = rows.find(e => e.event === 'ping' && e.peer === id)
        if (r == null) { failures++; return 'FAIL'.padStart(7) }
        return median(r.rttMs).toFixed(2).padStart(7)
      })
      console.log(`  #${i}   ${cells.join('')}`)
    }
    for (const e of [...lookupEvents, ...pingEvents.flat()]) {
      if (e.event === 'lookup-failed' || e.event === 'ping-failed') console.log(`  ${e.event}: ${e.peer}: ${e.message}`)
    }
    // gossip: host #3 publishes on both topics; every other host must receive each message
    console.log('\ngossip from #3 (ms until each host delivered the message):')
    const publisher = 3
    let missed = 0
    for (const topic of ['demo/flood', 'demo/dandelion']) {
      const marks = procs.map(p => p.events.length)
      procs[publisher].send({ cmd: 'publish', topic, text: `hello over ${topic}` })
      const published = await procs[publisher].waitFor(e => e.event === 'published' && e.topic === topic, STEP_TIMEOUT_MS, marks[publisher])
      const cells: string[] = []
      for (const [i, p] of procs.entries()) {
        if (i === publisher) { cells.push(`#${i} publisher`); continue }
        try {
          const got = await p.waitFor(e => e.event === 'message' && e.id === published.id, 15_000, marks[i])
          cells.push(`#${i} ${got.at - published.at} ms`)
        } catch {
          missed++
          cells.push(`#${i} MISSED`)
        }
      }
      console.log(`  ${topic.padEnd(15)} ${cells.join('   ')}`)
    }

    const found = lookupEvents.filter(e => e.event === 'found')
    const lookups = found.map(e => e.lookupMs as number)
    // a lookup made while routing tables still fill may miss and be retried: its time counts the retries
    const firstTry = found.filter(e => e.attempts === 1).length
    console.log(`\nDHT lookups: median ${median(lookups).toFixed(1)} ms, max ${Math.max(...lookups).toFixed(1)} ms; ${firstTry} of ${found.length} found at the first attempt`)
    console.log(`${ids.length * (ids.length - 1) - failures}/${ids.length * (ids.length - 1)} pairs reached; demo took ${((performance.now() - started) / 1000).toFixed(1)} s`)
    if (missed > 0) console.log(`${missed} gossip deliveries missed`)
    const relayMissed = await relayDemo(procs)
    const shareOk = await shareDemo(procs)
    if (failures > 0 || missed > 0 || relayMissed > 0 || !shareOk) process.exitCode = 1
  } finally {
    await shutdown()
  }
}

/**
 * hearsay-relay: a devnet of 4 relay processes on Dandelion++; 5 signed transactions go to
 * random nodes, and the demo prints how long each took to reach every node's mempool.
 * Returns how many transactions missed a node.
 */
async function relayDemo (procs: JsonProcess[]): Promise<number> {
  console.log('\nhearsay-relay devnet: 4 relay nodes (Dandelion++), 5 transactions:')
  const devnet = new JsonProcess('devnet', relayCli, ['devnet', '--nodes', '4', '--relay', 'dandelion', '--json'])
  procs.push(devnet)
  const { nodes } = await devnet.waitFor(e => e.event === 'devnet', 60_000) as unknown as { nodes: Array<{ api: string, cookie: string }> }
  const apis = nodes.map(n => n.api)
  // writes need each node's token, from the cookie file in its data directory
  const tokens = await Promise.all(nodes.map(async n => (await readFile(n.cookie, 'utf8')).trim()))
  // joining takes a moment: wait until every node has a peer on the transaction topic
  const deadline = Date.now() + 20_000
  while (Date.now() < deadline) {
    const peers = await Promise.all(apis.map(async api => ((await (await fetch(`${api}/stats`)).json()) as { gossip?: { peers: number } }).gossip?.peers ?? 0))
    if (peers.every(p => p > 0)) break
    await new Promise(resolve => setTimeout(resolve, 200))
  }
  const { privateKey } = generateKeyPairSync('ed25519')
  const from = publicKeyHex(privateKey)
  let missed = 0
  for (let nonce = 0; nonce < 5; nonce++) {
    const target = nonce % apis.length
    const tx = signTx({ from, to: 'ab'.repeat(32), amount: 10n, fee: BigInt(1 + nonce), nonce: BigInt(nonce) }, privateKey)
    const sentAt = Date.now()
    const res = await fetch(`${apis[target]}/tx`, { method: 'POST', body: JSON.stringify(txToJson(tx)), headers: { authorization: `Bearer ${tokens[target]}` } })
    const { id } = await res.json() as { id: string }
    const reached: number[] = apis.map(() => -1)
    while (Date.now() - sentAt < 15_000 && reached.some(t => t < 0)) {
      await Promise.all(apis.map(async (api, i) => {
        if (reached[i] >= 0) return
        const trace = await fetch(`${api}/trace/${id}`)
        // the mempool shows it once it is public (after the stem phase)
        const inPool = ((await (await fetch(`${api}/mempool`)).json()) as { txs: Array<{ id: string }> }).txs.some(t => t.id === id)
        if (trace.status === 200 && inPool) reached[i] = Date.now() - sentAt
      }))
      await new Promise(resolve => setTimeout(resolve, 20))
    }
    missed += reached.filter(t => t < 0).length
    console.log(`  tx ${id.slice(0, 10)}… sent to node ${target}: in every mempool after ${reached.some(t => t < 0) ? 'MISSED' : `${Math.max(...reached)} ms`}` +
      `  (${reached.map((t, i) => `#${i} ${t < 0 ? '-' : t}`).join(' ')})`)
  }
  console.log(`  dashboard while a devnet runs: ${apis[0]}/  — start one with: npx --yes pnpm@10.34.9 hearsay-relay devnet --nodes 8`)
  return missed
}

/**
 * hearsay-share: 3 seeders of a 32 MiB file (each capped at 5 MB/s upload, as home uplinks
 * are), then a downloader — the real program, its own output shown — that finds them through
 * the DHT and pulls pieces from all three at once. The demo then checks the SHA-256 of what was
 * written against the original. Returns whether it all worked.
 */
async function shareDemo (procs: JsonProcess[]): Promise<boolean> {
  const SIZE = 32 * 1024 * 1024
  console.log(`\nhearsay-share: 3 seeders (5 MB/s upload each) and a downloader, a ${SIZE / 1024 / 1024} MiB file:`)
  // owned: the next demo removes it if this one is SIGKILLed
  const temp = await ownedTempDir('hearsay-share-demo-')
  const dir = temp.path
  try {
    const content = randomBytes(SIZE)
    const original = createHash('sha256').update(content).digest('hex')
    await writeFile(join(dir, 'holiday-video.bin'), content)
    const on = (i: number): string[] => ['--listen', `/ip4/127.0.0.${21 + i}/tcp/0`, '--dial-from', `127.0.0.${21 + i}`]
    let bootstrap: string[] = []
    let id = ''
    for (let i = 0; i < 3; i++) {
      const seeder = new JsonProcess(`seeder #${i}`, shareCli, ['seed', join(dir, 'holiday-video.bin'), ...on(i), ...bootstrap, '--data-dir', join(dir, `seeder-${i}`), '--max-upload', '5MB', '--json'])
      procs.push(seeder)
      const listening = await seeder.waitFor(e => e.event === 'listening', STEP_TIMEOUT_MS)
      const added = await seeder.waitFor(e => e.event === 'added', STEP_TIMEOUT_MS)
      await seeder.waitFor(e => e.event === 'seeding', STEP_TIMEOUT_MS)
      if (i === 0) bootstrap = ['--bootstrap', listening.addrs[0]]
      id = added.id
      console.log(`  seeder #${i}  ${short(listening.peerId)}  ${listening.addrs[0].split('/p2p/')[0]}  added ${added.name} as ${id}`)
    }
    const out = join(dir, 'downloaded.bin')
    const args = ['get', id, '--out', out, ...on(3), ...bootstrap, '--data-dir', join(dir, 'downloader')]
    console.log(`  downloader: hearsay-share ${args.map(a => a.startsWith(dir) ? a.replace(dir, '$TMP') : a).join(' ')}\n`)
    const child = spawn(process.execPath, [shareCli, ...args], { stdio: ['ignore', 'inherit', 'inherit'], env: launcherEnv() })
    const timer = setTimeout(() => { child.kill('SIGKILL') }, 90_000)
    const code = await new Promise<number | null>(resolve => child.once('exit', resolve))
    clearTimeout(timer)
    if (code !== 0) {
      console.log(`  the download failed (exit ${code})`)
      return false
    }
    const written = createHash('sha256').update(await readFile(out)).digest('hex')
    console.log(`\n  hash check: ${written === original ? 'OK' : 'MISMATCH'} — sha256 of the written file ${written === original ? 'equals' : 'differs from'} the seeded file's`)
    return written === original
  } finally {
    await temp.remove()
  }
}

main().catch(err => {
  console.error(`demo failed: ${err?.message ?? err}`)
  process.exitCode = 1
})
