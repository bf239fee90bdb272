/**
 * Processes do not outlive the command that started them: real processes, started the way a
 * user (or a process supervisor) starts them, stopped the way a supervisor stops them.
 *
 * - SIGTERM to the outer `npx pnpm hearsay-share seed` — whose chain to node runs through
 *   shells that drop the signal — stops the node, cleanly, within 5 s (a liveness bound, not a
 *   speed goal), and its data dir opens again at once (no stale lock).
 * - SIGKILL of a `hearsay-relay devnet` stops its nodes, and the next devnet removes the
 *   temporary directory the killed one could not.
 */
import assert from 'node:assert/strict'
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { JsonProcess, type ChildEvent } from '../examples/demo/src/process.ts'
import { waitFor } from './helpers/wait.ts'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const shareCli = fileURLToPath(new URL('../examples/file-share/src/cli.ts', import.meta.url))
const relayCli = fileURLToPath(new URL('../examples/tx-relay/src/cli.ts', import.meta.url))
/** The bound on stopping everything after the signal. */
const STOP_MS = 5_000

interface Proc {
  pid: number
  ppid: number
  pgid: number
}

/** Every process that has not exited (zombies waiting to be reaped count as exited). */
function liveProcesses (): Proc[] {
  const out = execFileSync('ps', ['-A', '-o', 'pid=,ppid=,pgid=,stat='], { encoding: 'utf8' })
  return out.split('\n').map(line => line.trim().split(/\s+/)).filter(f => f.length === 4 && !f[3].startsWith('Z'))
    .map(([pid, ppid, pgid]) => ({ pid: Number(pid), ppid: Number(ppid), pgid: Number(pgid) }))
}

/** A process started in a process group of its own, as a supervisor or a shell's job control does. */
class Group {
  readonly child: ChildProcess
  readonly events: ChildEvent[] = []
  output = ''

  constructor (command: string, args: string[]) {
    this.child = spawn(command, args, { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
    // descendants inherit these pipes: a node's events arrive even after its launchers are gone
    createInterface({ input: this.child.stdout! }).on('line', line => {
      this.output = (this.output + line + '\n').slice(-8000)
      try {
        this.events.push(JSON.parse(line))
      } catch {
        // not an event: kept in the output only
      }
    })
    this.child.stderr!.on('data', (chunk: Buffer) => { this.output = (this.output + chunk.toString()).slice(-8000) })
  }

  get pgid (): number {
    return this.child.pid!
  }

  members (): Proc[] {
    return liveProcesses().filter(p => p.pgid === this.pgid)
  }

  async event (name: string, timeoutMs: number): Promise<ChildEvent> {
    await waitFor(() => this.events.some(e => e.event === name), { what: `"${name}" event; output so far:\n${this.output}`, timeoutMs, intervalMs: 100 })
    return this.events.find(e => e.event === name)!
  }

  /** Whatever is left: SIGKILL the whole group. */
  kill (): void {
    try {
      process.kill(-this.pgid, 'SIGKILL')
    } catch {
      // the group is gone already
    }
  }
}

describe('process lifecycle: nothing outlives the command that started it', function () {
  this.timeout(240_000)
  let dir: string
  const groups: Group[] = []

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hearsay-lifecycle-'))
  })

  afterEach(async () => {
    for (const g of groups.splice(0)) g.kill()
    await rm(dir, { recursive: true, force: true })
  })

  it('SIGTERM to `npx pnpm hearsay-share seed` stops the node within 5 s, cleanly, and frees its data dir', async () => {
    const file = join(dir, 'file.bin')
    await writeFile(file, 'a file to seed\n')
    const dataDir = join(dir, 'data')
    const args = ['seed', file, '--data-dir', dataDir, '--listen', '/ip4/127.0.191.1/tcp/0', '--json']
    // the command as the README has users type it: npx → sh → pnpm → sh → node shim → node
    // (--prefer-offline: the pnpm that runs this suite is in npx's cache; no registry needed)
    const seeder = new Group('npx', ['--yes', '--prefer-offline', 'pnpm@10.34.9', '-s', 'hearsay-share', ...args])
    groups.push(seeder)
    // npx fetching pnpm, then pnpm's `tsc -b`: slow to start on a busy machine
    await seeder.event('seeding', 180_000)
    const launched = seeder.members()
    assert.ok(launched.length >= 3, `the chain npx → pnpm → node is in the group: ${JSON.stringify(launched)}`)

    process.kill(seeder.child.pid!, 'SIGTERM')
    const signalled = Date.now()
    await waitFor(() => seeder.members().length === 0, { what: 'every process of the command to exit after SIGTERM to npx', timeoutMs: STOP_MS, intervalMs: 100 })
    console.log(`      every process gone ${Date.now() - signalled} ms after SIGTERM to npx`)
    assert.ok(seeder.events.some(e => e.event === 'stopped'), `the node shut down cleanly (a "stopped" event); output:\n${seeder.output}`)

    // no stale lock: the same data dir opens again at once
    const again = new JsonProcess('seed again', shareCli, args)
    try {
      const seeding = await again.waitFor(e => e.event === 'seeding' || e.event === 'error', 60_000)
      assert.equal(seeding.event, 'seeding', JSON.stringify(seeding))
    } finally {
      await again.stop()
    }
  })

  it('SIGKILL of a devnet stops its nodes, and the next devnet removes its temporary directory', async () => {
    const devnet = new Group(process.execPath, [relayCli, 'devnet', '--nodes', '2', '--json'])
    groups.push(devnet)
    const { dataDir } = await devnet.event('devnet', 120_000)
    assert.ok(typeof dataDir === 'string' && existsSync(dataDir))
    const nodes = liveProcesses().filter(p => p.ppid === devnet.child.pid)
    assert.equal(nodes.length, 2, 'two node processes')

    process.kill(devnet.child.pid!, 'SIGKILL')
    const killed = Date.now()
    const nodePids = new Set(nodes.map(p => p.pid))
    await waitFor(() => !liveProcesses().some(p => nodePids.has(p.pid)), { what: 'the nodes of a SIGKILLed devnet to exit', timeoutMs: STOP_MS, intervalMs: 100 })
    console.log(`      both nodes gone ${Date.now() - killed} ms after SIGKILL of the devnet`)

    // the killed devnet could not remove its directory; the next one does, and its own at exit
    const next = new Group(process.execPath, [relayCli, 'devnet', '--nodes', '1', '--json'])
    groups.push(next)
    const { dataDir: nextDir } = await next.event('devnet', 120_000)
    assert.equal(existsSync(dataDir), false, `${dataDir} removed`)
    process.kill(next.child.pid!, 'SIGTERM')
    await waitFor(() => next.members().length === 0, { what: 'the second devnet to stop after SIGTERM', timeoutMs: 30_000, intervalMs: 100 })
    assert.equal(existsSync(nextDir), false, `${nextDir} removed at exit`)
  })
})
