/**
 * `hearsay-share` across the lab, shared by the integration test and `pnpm bench lab`: the real
 * CLI as processes in lab namespaces (`lab.spawn`), public nodes started with `--announce`.
 * - {@link shareAcrossNats}: a seeder behind NAT A, a downloader behind NAT B, public relay and
 *   bootstrap nodes: the file, and the bytes through the relay host while it flowed.
 * - {@link shareSwarm}: one capped seeder, then four (each in its own namespace with a `tc tbf`
 *   upload cap), for one downloader: throughput of each, and duplicates.
 */
import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ChildEvent, JsonProcess } from '../../examples/demo/src/process.ts'
import { createLab, type Lab } from './lab.ts'

const cli = fileURLToPath(new URL('../../examples/file-share/src/cli.ts', import.meta.url))
const START_MS = 60_000
const PORT = 4001

/** A started `hearsay-share` process and its `listening` event. */
interface ShareProc {
  proc: JsonProcess
  peerId: string
  /** `/ip4/<its address>/tcp/4001/p2p/<id>` for a public node. */
  addr?: string
}

/** A scratch directory for files and data dirs, removed by `done()`. */
async function scratch (): Promise<{ dir: string, done: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'hearsay-lab-share-'))
  return { dir, done: async () => { await rm(dir, { recursive: true, force: true }) } }
}

/** A file of `bytes` random bytes in `dir`, and its SHA-256. */
async function randomFile (dir: string, name: string, bytes: number): Promise<{ path: string, sha256: string }> {
  const data = randomBytes(bytes)
  const path = join(dir, name)
  await writeFile(path, data)
  return { path, sha256: createHash('sha256').update(data).digest('hex') }
}

/** `hearsay-share <args> --json` in host `name`'s namespace, listening on every address there. */
function share (lab: Lab, name: string, dataDir: string, args: string[]): JsonProcess {
  return lab.spawn(name, `hearsay-share ${args[0]} (${name})`, cli, [...args, '--listen', `/ip4/0.0.0.0/tcp/${PORT}`, '--data-dir', dataDir, '--json'])
}

/**
 * Start public nodes `names` (`hearsay-share index --announce <own address>`), each joining
 * through the first, so the NATed hosts find peers in several netgroups to confirm their mapping.
 */
async function startPublic (lab: Lab, dir: string, names: string[]): Promise<ShareProc[]> {
  const started: ShareProc[] = []
  for (const name of names) {
    const ip = lab.host(name).ip
    const boot = started.slice(0, 1).flatMap(p => ['--bootstrap', p.addr!])
    const proc = share(lab, name, join(dir, name), ['index', '--announce', `/ip4/${ip}/tcp/${PORT}`, ...boot])
    const listening = await proc.waitFor(e => e.event === 'listening', START_MS)
    const announced = (listening.bootstrap as Array<{ addr: string, kind: string }>).find(a => a.kind === 'announced')
    if (announced == null) throw new Error(`${name}: no announced address in ${JSON.stringify(listening)}`)
    started.push({ proc, peerId: listening.peerId, addr: announced.addr })
  }
  return started
}

/** Seed `paths` on host `name`; resolves once it serves them, with the ids added. */
async function startSeeder (lab: Lab, name: string, dataDir: string, paths: string[], bootstrap: string[]): Promise<ShareProc & { ids: string[] }> {
  const proc = share(lab, name, dataDir, ['seed', ...paths, ...bootstrap.flatMap(b => ['--bootstrap', b])])
  const listening = await proc.waitFor(e => e.event === 'listening', START_MS)
  await proc.waitFor(e => e.event === 'seeding', START_MS)
  return { proc, peerId: listening.peerId, ids: proc.events.filter(e => e.event === 'added').map(e => e.id) }
}

/** What a `get` reported when it ended. */
export interface GetOutcome {
  done?: ChildEvent
  /** Its error event's message, when it failed. */
  error?: string
  /** From starting the process to its end. */
  ms: number
}

/** Run `hearsay-share get` on host `name` to its end (bounded by `timeoutS` of no progress, and `limitMs` overall). */
async function runGet (lab: Lab, name: string, dataDir: string, id: string, out: string, bootstrap: string[], timeoutS: number, limitMs: number): Promise<GetOutcome> {
  const t0 = performance.now()
  const proc = share(lab, name, dataDir, ['get', id, '--out', out, '--timeout', String(timeoutS), ...bootstrap.flatMap(b => ['--bootstrap', b])])
  try {
    const end = await proc.waitFor(e => e.event === 'done' || e.event === 'error', limitMs)
    return end.event === 'done' ? { done: end, ms: performance.now() - t0 } : { error: end.message, ms: performance.now() - t0 }
  } catch (err: any) {
    return { error: `${err?.message ?? err}; stderr: ${proc.stderr.trim().split('\n').slice(-3).join(' | ')}`, ms: performance.now() - t0 }
  } finally {
    await proc.stop(3_000)
  }
}

const total = (b: { rx: number, tx: number }): number => b.rx + b.tx

/** The outcome of {@link shareAcrossNats}. */
export interface NatShareResult {
  size: number
  /** The downloaded file's SHA-256 equals the original's. */
  identical: boolean
  get: GetOutcome
  /** Bytes in and out of the relay host's interface while the download ran. */
  relayBytes: number
  /** The same, through NAT B's router (the downloader's whole traffic). */
  natBBytes: number
  /** The addresses the seeder offered (`addresses` events): did it get a relay slot, a confirmed mapping? */
  seederKinds: string[]
}

/**
 * A seeder behind NAT A and a downloader behind NAT B (both endpoint-independent), public nodes
 * `relay` (the bootstrap), `p1`, `p2` in three netgroups. The downloader starts once the seeder
 * holds a relay reservation; the relay host's interface bytes are read around the download.
 */
export async function shareAcrossNats (size: number, options: { timeoutS?: number, limitMs?: number } = {}): Promise<NatShareResult> {
  const { dir, done } = await scratch()
  const lab = await createLab({ public: ['relay', 'p1', 'p2'], homes: [{ name: 'homea', hosts: ['seeder'] }, { name: 'homeb', hosts: ['getter'] }] })
  try {
    const file = await randomFile(dir, 'film.bin', size)
    const pub = await startPublic(lab, dir, ['relay', 'p1', 'p2'])
    const bootstrap = pub.map(p => p.addr!)
    const seeder = await startSeeder(lab, 'seeder', join(dir, 'seeder'), [file.path], bootstrap)
    // reachable through the relay first: otherwise nobody behind another NAT can reach it at all
    await seeder.proc.waitFor(e => e.event === 'addresses' && e.bootstrap.some((a: any) => a.kind === 'relayed'), START_MS)
    const before = { relay: total(lab.bytes('relay')), natB: total(lab.bytes('homeb')) }
    const get = await runGet(lab, 'getter', join(dir, 'getter'), seeder.ids[0], join(dir, 'out') + '/', bootstrap, options.timeoutS ?? 60, options.limitMs ?? 180_000)
    const relayBytes = total(lab.bytes('relay')) - before.relay
    const natBBytes = total(lab.bytes('homeb')) - before.natB
    const got = get.done != null ? await readFile(get.done.path).catch(() => undefined) : undefined
    const identical = got != null && createHash('sha256').update(got).digest('hex') === file.sha256
    const seederKinds = [...new Set(seeder.proc.events.filter(e => e.event === 'addresses').flatMap(e => e.bootstrap.map((a: any) => a.kind as string)))]
    return { size, identical, get, relayBytes, natBBytes, seederKinds }
  } finally {
    await lab.destroy()
    await done()
  }
}

/** The outcome of {@link shareSwarm}. */
export interface SwarmResult {
  size: number
  uploadMbit: number
  /** One capped seeder: the download's `done` event (rate in B/s). */
  one: GetOutcome
  /** Four capped seeders. */
  four: GetOutcome
  identical: { one: boolean, four: boolean }
}

/**
 * Public hosts only (no NAT in the way: this measures swarming under kernel upload caps): a
 * bootstrap node, seeder `solo` with file A, seeders `s1`..`s4` with file B of the same size,
 * each capped at `uploadMbit`; host `d` downloads A, then B.
 */
export async function shareSwarm (size: number, uploadMbit = 10, options: { limitMs?: number } = {}): Promise<SwarmResult> {
  const { dir, done } = await scratch()
  const seeders = ['s1', 's2', 's3', 's4']
  const lab = await createLab({ public: ['boot', 'd', ...['solo', ...seeders].map(name => ({ name, uploadMbit }))] })
  try {
    const a = await randomFile(dir, 'a.bin', size)
    const b = await randomFile(dir, 'b.bin', size)
    const [boot] = await startPublic(lab, dir, ['boot'])
    const bootstrap = [boot.addr!]
    const announce = (name: string): string[] => ['--announce', `/ip4/${lab.host(name).ip}/tcp/${PORT}`]
    const seed = async (name: string, path: string): Promise<ShareProc & { ids: string[] }> =>
      await startSeeder(lab, name, join(dir, name), [path, ...announce(name)], bootstrap)
    const solo = await seed('solo', a.path)
    const swarm = await Promise.all(seeders.map(async name => await seed(name, b.path)))
    const limitMs = options.limitMs ?? 300_000
    const one = await runGet(lab, 'd', join(dir, 'd1'), solo.ids[0], join(dir, 'out1') + '/', bootstrap, 60, limitMs)
    const four = await runGet(lab, 'd', join(dir, 'd4'), swarm[0].ids[0], join(dir, 'out4') + '/', bootstrap, 60, limitMs)
    const same = async (outcome: GetOutcome, sha256: string): Promise<boolean> => {
      const got = outcome.done != null ? await readFile(outcome.done.path).catch(() => undefined) : undefined
      return got != null && createHash('sha256').update(got).digest('hex') === sha256
    }
    return { size, uploadMbit, one, four, identical: { one: await same(one, a.sha256), four: await same(four, b.sha256) } }
  } finally {
    await lab.destroy()
    await done()
  }
}
