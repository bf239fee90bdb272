/**
 * The few system commands a lab runs (`ip`, `nft`, `tc`), synchronously so that teardown also
 * works from a process 'exit' handler, and the check of whether this machine can build a lab.
 */
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'

/** Namespace names of every lab start with this, then the owner's pid: `hslab-<pid>-<name>`. */
export const NS_PREFIX = 'hslab-'

/** Run a command; throw with its stderr when it fails. */
export function sh (command: string, args: string[], input?: string): string {
  const result = spawnSync(command, args, { input, encoding: 'utf8', timeout: 10_000 })
  if (result.error != null) throw new Error(`${command} ${args.join(' ')}: ${result.error.message}`)
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')}: ${result.stderr.trim() || `exit ${result.status}`}`)
  return result.stdout
}

/** Run a command, ignoring failure (teardown of something that may already be gone). */
export function shQuiet (command: string, args: string[]): void {
  spawnSync(command, args, { stdio: 'ignore', timeout: 10_000 })
}

/** Every network namespace on the machine, by name. */
export function listNamespaces (): string[] {
  const out = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout ?? ''
  return out.split('\n').map(line => line.split(' ')[0]).filter(name => name !== '')
}

/** Kill every process inside a namespace, then delete it (its interfaces go with it). */
export function removeNamespace (ns: string): void {
  const pids = (spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout ?? '').split('\n').filter(p => /^\d+$/.test(p))
  for (const pid of pids) {
    try { process.kill(Number(pid), 'SIGKILL') } catch { /* already gone */ }
  }
  shQuiet('ip', ['netns', 'delete', ns])
}

function alive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err: any) {
    return err?.code === 'EPERM'
  }
}

/**
 * Remove the namespaces of labs whose owner process is gone (a run killed with SIGKILL could not
 * clean up after itself). Returns the names removed.
 */
export function removeStaleLabs (): string[] {
  const stale = listNamespaces().filter(ns => {
    const match = new RegExp(`^${NS_PREFIX}(\\d+)-`).exec(ns)
    return match != null && !alive(Number(match[1]))
  })
  for (const ns of stale) removeNamespace(ns)
  return stale
}

/** Whether a lab can be built here, and if not, why (one line). */
export type LabSupport = { ok: true } | { ok: false, reason: string }

/** Check for root, the `ip`, `nft` and `tc` commands, and that a namespace can be made and removed. */
export function labSupport (): LabSupport {
  if (process.platform !== 'linux') return { ok: false, reason: `network namespaces need Linux (this is ${process.platform})` }
  if (process.getuid?.() !== 0) return { ok: false, reason: 'building network namespaces needs root' }
  for (const tool of ['ip', 'nft', 'tc']) {
    const found = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).status === 0
    if (!found) return { ok: false, reason: `the "${tool}" command is missing (apt-get install nftables iproute2)` }
  }
  if (!existsSync('/proc/self/ns/net')) return { ok: false, reason: 'this kernel has no network namespaces' }
  const probe = `${NS_PREFIX}${process.pid}-probe`
  try {
    sh('ip', ['netns', 'add', probe])
    sh('ip', ['-n', probe, 'link', 'add', 'probe0', 'type', 'veth', 'peer', 'name', 'probe1'])
    sh('ip', ['netns', 'exec', probe, 'nft', 'list', 'ruleset'])
  } catch (err: any) {
    return { ok: false, reason: `cannot build a network namespace here: ${String(err?.message ?? err).split('\n')[0]}` }
  } finally {
    shQuiet('ip', ['netns', 'delete', probe])
  }
  return { ok: true }
}
