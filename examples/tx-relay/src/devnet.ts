/**
 * `hearsay-relay devnet`: N relay nodes as separate processes on loopback. Node i listens on
 * 127.(100+i).0.1 — its own /16, so discovery's one-outbound-per-netgroup rule treats the
 * nodes as distinct networks — and nodes 1..N-1 join through node 0 (bootstrap, then PEX).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { ownedTempDir, type OwnedTempDir } from '../../shared/src/temp-dir.ts'
import { launcherEnv } from '../../shared/src/launcher-env.ts'
import { UsageError, type Output } from './output.ts'
import type { RelayName } from './strategies.ts'

const cli = fileURLToPath(new URL('./cli.ts', import.meta.url))
const START_TIMEOUT_MS = 30_000

interface Started {
  child: ChildProcess
  peerId: string
  api: string
  addrs: string[]
  /** The node's API cookie file: its token authorizes `POST /tx`. */
  cookie: string
}

/** Options of {@link runDevnet}, parsed. */
export interface DevnetOptions {
  nodes: number
  relay: RelayName
  dataDir?: string
  verbose?: boolean
}

/** Start the devnet's node processes one by one and print their API URLs and cookie files. */
export async function runDevnet (options: DevnetOptions, out: Output): Promise<void> {
  const count = options.nodes
  const print = out.event.bind(out)
  if (options.dataDir != null) {
    await mkdir(options.dataDir, { recursive: true }).catch((err: any) => {
      throw new UsageError(`--data-dir: cannot create ${options.dataDir}: ${err?.code ?? err?.message}`)
    })
  }
  // a temporary dir lists the nodes using it, so the next devnet removes it if this one is SIGKILLed
  const temp = options.dataDir == null ? await ownedTempDir('hearsay-devnet-') : undefined
  const baseDir = options.dataDir ?? temp!.path
  const peersFile = join(baseDir, 'network.json')
  const started: Started[] = []
  // every node process, the one still starting included: a stop must not leave it behind
  const children: ChildProcess[] = []
  // one stop, awaited by everyone who asks (a signal, and a start that failed because of it)
  let stopping: Promise<void> | undefined
  const stopAll = async (): Promise<void> => {
    stopping ??= (async () => {
      await Promise.all(children.map(async child => { await stopChild(child) }))
      await temp?.remove()
    })()
    await stopping
  }
  process.on('SIGINT', () => { void stopAll().then(() => process.exit(0)) })
  process.on('SIGTERM', () => { void stopAll().then(() => process.exit(0)) })

  try {
    await writeFile(peersFile, '[]')
    for (let i = 0; i < count; i++) {
      const ip = `127.${100 + i}.0.1`
      const dataDir = join(baseDir, `node-${i}`)
      await mkdir(dataDir, { recursive: true })
      const args = [cli, 'node', '--json', '--listen', `/ip4/${ip}/tcp/0`, '--dial-from', ip, '--data-dir', dataDir, '--api', `${ip}:0`,
        '--relay', options.relay, '--peers-file', peersFile, ...(i > 0 ? ['--bootstrap', started[0].addrs[0]] : []),
        ...(options.verbose === true ? ['--verbose'] : [])]
      started.push(await startChild(args, children, temp))
      await writeFile(peersFile, JSON.stringify(started.map(s => ({ peerId: s.peerId, api: s.api }))))
    }
  } catch (err) {
    await stopAll()
    throw err
  }
  print('devnet', { relay: options.relay, dataDir: baseDir, nodes: started.map(s => ({ peerId: s.peerId, api: s.api, addrs: s.addrs, cookie: s.cookie })) },
    `devnet of ${count} ${options.relay} relay nodes (Ctrl-C stops them all)\n` +
    started.map((s, i) => `  node ${i}: ${s.api}  (cookie ${s.cookie})`).join('\n') + `\n  dashboard: ${started[0].api}/`)
  // stay up until a signal; children exiting on their own is reported
  for (const [i, s] of started.entries()) {
    s.child.once('exit', code => { if (stopping == null) print('node-exited', { node: i, code }, `node ${i} exited with ${code}`) })
  }
}

/** Start one node process and wait for its `listening` line. */
async function startChild (args: string[], children: ChildProcess[], temp?: OwnedTempDir): Promise<Started> {
  // each node stops by itself if this process dies (it imports stop-with-launcher)
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], env: launcherEnv() })
  children.push(child)
  if (child.pid != null) temp?.addProcess(child.pid)
  return await new Promise<Started>((resolve, reject) => {
    const timer = setTimeout(() => { fail(new Error('a node did not start in time')) }, START_TIMEOUT_MS)
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })
    const fail = (err: Error): void => {
      clearTimeout(timer)
      child.kill('SIGKILL')
      reject(err)
    }
    child.once('exit', code => { fail(new Error(`a node exited with ${code} before it listened`)) })
    lines.on('line', line => {
      let event: any
      try { event = JSON.parse(line) } catch { return }
      if (event.event === 'error') fail(new Error(event.message))
      if (event.event !== 'listening') return
      clearTimeout(timer)
      child.removeAllListeners('exit')
      resolve({ child, peerId: event.peerId, api: event.api, addrs: event.addrs, cookie: event.cookie })
    })
  })
}

/** SIGTERM, then SIGKILL if the node has not exited within 5 s. */
async function stopChild (child: ChildProcess): Promise<void> {
  if (child.exitCode != null || child.signalCode != null) return
  const exited = new Promise(resolve => child.once('exit', resolve))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
  await exited
  clearTimeout(timer)
}
