/**
 * The `files` bench's single-seeder rounds alone, for profiling and A/B runs of the piece path:
 * `node bench/lib/files-cpu.ts [MiB=64] [rounds=5] [raw|get|both=both] [--hash|--keep] [--gc] [--disk]`. As the bench
 * does, a seeder in a child process ({@link ./files-peer.ts}) and the downloader here, two warm-up
 * transfers of each kind, then interleaved rounds of the raw stream and the download; each round
 * prints CPU per MB of both ends and, from `/proc` (Linux), per thread kind (the main thread, V8's
 * workers: the GC's concurrent marking and sweeping), with this process's GC pauses. Runtime flags
 * reach the child too: `node --cpu-prof bench/lib/files-cpu.ts 64 5 get` profiles both ends.
 *
 * `--keep` makes the raw receiver do what a downloader with a memory store must: hash every
 * 256 KiB (SHA-256) and keep the chunks until the round ends, a baseline that leaves the piece
 * protocol's own cost. `--hash` hashes the same way but keeps nothing, which parts the hash's
 * cost from that of holding the file in memory (the GC's, mostly). Not a scenario: nothing is
 * written to `bench/results`.
 *
 * `--gc` collects the garbage (a full GC, and the last download's file removed) before each
 * measured part, outside it, so that no part pays for what the part before it left; the bench
 * does not (the heap V8 then shrinks makes every part cost more: raw 4.0 ms/MB at the receiver
 * instead of 3.2).
 *
 * @module
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PerformanceObserver } from 'node:perf_hooks'
import { multiaddr } from '@multiformats/multiaddr'
import { createHost } from '@hearsay/host'
import { fileIndex, type FileIndex } from '@hearsay/file-index'
import { cpuDuring, FilesPeer, fullGc, receiveRaw, settle } from './files-peers.ts'

const MiB = 1024 * 1024
const MB = 1_000_000
const PIECE = 256 * 1024
const args = process.argv.slice(2).filter(a => a !== '--keep' && a !== '--hash' && a !== '--gc' && a !== '--disk')
const keep = process.argv.includes('--keep')
const hash = keep || process.argv.includes('--hash')
/** A full GC on demand, with `--gc`. */
const collect = process.argv.includes('--gc') ? fullGc() : undefined
const size = Number(args[0] ?? 64) * MiB
const rounds = Number(args[1] ?? 5)
const mode = args[2] ?? 'both'

let gcMs = 0
new PerformanceObserver(list => { for (const entry of list.getEntries()) gcMs += entry.duration }).observe({ entryTypes: ['gc'] })

const seeder = await FilesPeer.start({ ip: '127.0.70.1' })
const childPid = Number(readFileSync(`/proc/${process.pid}/task/${process.pid}/children`, 'utf8').trim().split(' ')[0])
// with `--disk` the downloader stores pieces on disk (a temporary data directory), else in memory as the bench does
const dataDir = process.argv.includes('--disk') ? mkdtempSync(join(tmpdir(), 'files-cpu-')) : undefined
const host = await createHost<{ files: FileIndex }>({ listen: ['/ip4/127.0.70.2/tcp/0'], dialFrom: '127.0.70.2', services: { files: fileIndex({ dataDir }) } })
const id: string = (await seeder.call({ cmd: 'add', seed: 'single', bytes: size })).fileId
await host.dial(seeder.addrs.map(a => multiaddr(a)))
await settle([seeder])

/** The raw stream of the bench, into this process; with `--hash`, hashed per 256 KiB; with `--keep`, kept too. */
async function raw (): Promise<void> {
  const received = await receiveRaw(host, size, keep ? 'keep' : hash ? 'hash' : 'count', PIECE)
  await seeder.call({ cmd: 'raw', addrs: host.getMultiaddrs().map(String), seed: 'raw', bytes: size })
  await received()
}

/** The bench's download: the whole file, from scratch, from the seeder. */
async function get (): Promise<void> {
  await host.services.files.remove(id)
  await host.services.files.get(id, { dht: false })
}

/** CPU milliseconds by thread kind (trailing digits dropped from thread names) of process `pid`. */
function threads (pid: number): Map<string, number> {
  const out = new Map<string, number>()
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    const stat = readFileSync(`/proc/${pid}/task/${task}/stat`, 'utf8')
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replace(/[0-9]+$/, '').trim()
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    // utime and stime, in clock ticks (100 a second)
    out.set(name, (out.get(name) ?? 0) + (Number(fields[11]) + Number(fields[12])) * 10)
  }
  return out
}

const perMB = (ms: number): string => (ms / (size / MB)).toFixed(2)
const byThread = (before: Map<string, number>, after: Map<string, number>): string =>
  [...after].map(([name, ms]) => `${name} ${perMB(ms - (before.get(name) ?? 0))}`).join(', ')

/** Run `work` and measure both ends: total CPU per MB, per thread kind, GC pauses here. */
async function measure (work: () => Promise<void>): Promise<{ total: number, line: string }> {
  if (collect != null) {
    await host.services.files.remove(id)
    collect()
  }
  const gcBefore = gcMs
  const before = [threads(childPid), threads(process.pid)]
  const { ownMs, peersMs: [senderMs] } = await cpuDuring([seeder], work)
  const after = [threads(childPid), threads(process.pid)]
  return {
    total: (senderMs + ownMs) / (size / MB),
    line: `sender ${perMB(senderMs)} (${byThread(before[0], after[0])}) + receiver ${perMB(ownMs)} (${byThread(before[1], after[1])}; GC pauses ${perMB(gcMs - gcBefore)}) ms/MB`
  }
}

for (let warm = 0; warm < 2; warm++) {
  if (mode !== 'get') await raw()
  if (mode !== 'raw') await get()
}
const ratios: number[] = []
for (let round = 1; round <= rounds; round++) {
  const r = mode !== 'get' ? await measure(raw) : undefined
  const g = mode !== 'raw' ? await measure(get) : undefined
  if (r != null) console.log(`round ${round} raw${keep ? ' (hashed and kept)' : hash ? ' (hashed)' : ''}: ${r.line}`)
  if (g != null) console.log(`round ${round} download: ${g.line}`)
  if (r != null && g != null) {
    ratios.push(g.total / r.total)
    console.log(`round ${round}: ${g.total.toFixed(2)} vs ${r.total.toFixed(2)} ms/MB, ${(g.total / r.total).toFixed(2)}×`)
  }
}
if (ratios.length > 0) console.log(`median of the rounds' ratios: ${ratios.sort((a, b) => a - b)[Math.floor(ratios.length / 2)].toFixed(2)}×`)
await seeder.stop()
await host.stop()
if (dataDir != null) rmSync(dataDir, { recursive: true, force: true })
process.exit(0)
