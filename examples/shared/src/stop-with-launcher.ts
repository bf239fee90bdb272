/**
 * Importing this module makes the process stop — it sends itself SIGTERM, so its own shutdown
 * runs — within a second of the processes that launched it being gone.
 *
 * Why: the command a user types, `npx pnpm hearsay-share seed f`, reaches node through
 * npx → `sh -c pnpm` → the `node` shim → pnpm → `sh -c 'tsc -b && node …'` → the shim → node,
 * where the shim that pnpm writes for the `node` devDependency is a `/bin/sh` script that does not
 * `exec`. npx and pnpm forward SIGTERM to their child, but every `sh` in the chain just dies of
 * it and leaves what it started running, orphaned, holding its data dir. A devnet's nodes are
 * orphaned the same way when the devnet is SIGKILLed. An orphan notices: the process whose
 * launcher died is re-parented, which this module's poll sees.
 *
 * Which launchers: the ancestors in this process's own process group. A shell with job control,
 * a service manager and Ctrl-C all deal in process groups: a command line gets a group of its
 * own, so these ancestors are the command the user typed and what it ran on the way here —
 * never the user's shell (`nohup … &` from a terminal still outlives it) and never anything
 * when node is itself the command typed. A script without job control keeps its background jobs
 * in its own group, so `nohup hearsay-share seed f &` in a script (cron, ssh 'cmd &') stops when
 * the script ends: detach with `setsid nohup … &`, which gives the job a group of its own.
 *
 * A process it cannot look up (out of file descriptors, `ps` failing) counts as alive: nothing
 * is concluded from a failed look-up.
 *
 * @module
 */
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { promisify } from 'node:util'
import { LAUNCHER_ENV } from './launcher-env.ts'

/** How often the ancestors are checked: a stop within about a second, for a few file reads. */
const POLL_MS = 500

interface Proc {
  ppid: number
  pgid: number
}

/**
 * A process's parent and process group; undefined once it is gone; null when it cannot be told
 * now (out of file descriptors, `ps` failed): then nothing is concluded, since stopping a node
 * because a peer used up its descriptors would hand attackers an off switch.
 */
type Lookup = (pid: number) => Proc | undefined | null

/** Linux: read from /proc on demand. */
function procfs (pid: number): Proc | undefined | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // the command name (field 2) may hold spaces and ')': the fields after its last ')' are
    // state, ppid, pgrp, …
    const [, ppid, pgid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return { ppid: Number(ppid), pgid: Number(pgid) }
  } catch (err: any) {
    return err?.code === 'ENOENT' || err?.code === 'ESRCH' ? undefined : null
  }
}

/** The process table now (elsewhere: one `ps`; without `ps`, nothing is known and nothing watched). */
async function processTable (): Promise<Lookup> {
  if (process.platform === 'linux') return procfs
  const procs = new Map<number, Proc>()
  if (process.platform !== 'win32') {
    try {
      const { stdout } = await promisify(execFile)('ps', ['-A', '-o', 'pid=,ppid=,pgid='])
      for (const line of stdout.split('\n')) {
        const [pid, ppid, pgid] = line.trim().split(/\s+/).map(Number)
        procs.set(pid, { ppid, pgid })
      }
    } catch {
      // no `ps`, or it failed: nothing can be told
      return () => null
    }
  }
  return pid => procs.get(pid)
}

/**
 * This process and its ancestors in its process group, nearest first, each with the parent it
 * had at the start: [pid, ppid] pairs. Empty when this process leads its group.
 */
async function launchers (): Promise<Array<[number, number]>> {
  const chain: Array<[number, number]> = []
  const lookup = await processTable()
  const group = lookup(process.pid)?.pgid
  let pid = process.ppid
  let child = process.pid
  while (group != null && pid > 0 && chain.length < 64) {
    const proc = lookup(pid)
    if (proc == null || proc.pgid !== group) break
    chain.push([child, pid])
    child = pid
    pid = proc.ppid
  }
  return chain
}

let interrupted = false
// A SIGINT/SIGTERM that arrived (Ctrl-C reaches every process of the group at once) is the
// process's to handle: the watch must not add a second one, which some handlers treat as "exit
// now". Noting it must not change what the signal does, so a listener that finds itself alone
// steps aside and re-raises the signal, as if it had never listened.
for (const name of ['SIGINT', 'SIGTERM'] as const) {
  const note = (): void => {
    interrupted = true
    if (process.listenerCount(name) > 1) return
    process.removeListener(name, note)
    process.kill(process.pid, name)
  }
  process.on(name, note)
}

// A parent that spawns hearsay processes (a devnet, the demo) names itself in LAUNCHER_ENV: a
// child whose parent died while it was still loading (ES modules are all loaded before any is
// evaluated, seconds on a busy machine) finds itself re-parented already, before any watch began.
const named = Number(process.env[LAUNCHER_ENV])
// meant for this process alone: a child of its own, spawned plainly, must not inherit it
delete process.env[LAUNCHER_ENV]
if (named > 0 && process.ppid !== named) process.kill(process.pid, 'SIGTERM')

const chain = await launchers()
if (chain.length > 0) {
  const timer = setInterval(() => {
    void processTable().then(lookup => {
      // every launcher still has its parent (a dead one's child was re-parented; our own
      // parent comes from process.ppid, which is always current); unknown: ask again next time
      const procs = chain.map(([pid]) => pid === process.pid ? { ppid: process.ppid } : lookup(pid))
      if (procs.includes(null)) return
      const intact = chain.every(([, ppid], i) => procs[i]?.ppid === ppid)
      if (intact) return
      clearInterval(timer)
      if (!interrupted) process.kill(process.pid, 'SIGTERM')
    })
  }, POLL_MS)
  timer.unref()
}
