/**
 * Temporary directories that do not pile up when their owner is SIGKILLed (and so cannot remove
 * its own): each lists the processes using it in a `pids` file, and making a new one with the
 * same prefix first removes every earlier one whose processes are all gone.
 *
 * @module
 */
import { appendFileSync, readFileSync } from 'node:fs'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** A directory under the OS temp dir, owned by this process and the ones it adds. */
export interface OwnedTempDir {
  /** Absolute path of the directory. */
  path: string
  /** Note another process using the directory (a child): it is not swept while that one lives. */
  addProcess: (pid: number) => void
  /** Remove the directory and everything in it. */
  remove: () => Promise<void>
}

const PIDS = 'pids'

function alive (pid: number): boolean {
  // a zombie (exited, not yet reaped: an orphan whose new parent is slow to wait for it) holds
  // nothing, though signal 0 still reaches it
  if (process.platform === 'linux') {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
    } catch (err: any) {
      if (err?.code === 'ENOENT') return false
    }
  }
  try {
    process.kill(pid, 0)
    return true
  } catch (err: any) {
    // EPERM: it exists, and is someone else's
    return err?.code === 'EPERM'
  }
}

/** Remove the `<tmpdir>/<prefix>*` directories whose listed processes have all exited. */
async function sweep (prefix: string): Promise<void> {
  const names = await readdir(tmpdir()).catch(() => [])
  for (const name of names.filter(n => n.startsWith(prefix))) {
    const dir = join(tmpdir(), name)
    // no pids file: not one of these, or one being made right now
    const pids = await readFile(join(dir, PIDS), 'utf8').catch(() => undefined)
    // empty: being made right now (writeFile truncates before it writes)
    if (pids == null || pids.trim() === '') continue
    if (pids.split('\n').some(line => line !== '' && alive(Number(line)))) continue
    await rm(dir, { recursive: true, force: true }).catch(() => {})
  }
}

/** Make `<tmpdir>/<prefix>XXXXXX`, owned by this process, after sweeping abandoned ones. */
export async function ownedTempDir (prefix: string): Promise<OwnedTempDir> {
  await sweep(prefix)
  const path = await mkdtemp(join(tmpdir(), prefix))
  await writeFile(join(path, PIDS), `${process.pid}\n`)
  return {
    path,
    addProcess: pid => { appendFileSync(join(path, PIDS), `${pid}\n`) },
    remove: async () => { await rm(path, { recursive: true, force: true }) }
  }
}
