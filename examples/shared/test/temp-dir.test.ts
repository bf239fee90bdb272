import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ownedTempDir } from '../src/temp-dir.ts'

describe('ownedTempDir', () => {
  // a prefix of this run's own, so that no other program's directories are swept
  const prefix = `hearsay-temp-dir-test-${process.pid}-`
  const made: string[] = []

  afterEach(async () => {
    for (const dir of made.splice(0)) await rm(dir, { recursive: true, force: true })
  })

  /** A directory as a killed owner leaves it: a pids file naming `pids`. */
  async function abandoned (pids: number[]): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), prefix))
    made.push(dir)
    await writeFile(join(dir, 'pids'), pids.map(pid => `${pid}\n`).join(''))
    await writeFile(join(dir, 'data'), 'left behind')
    return dir
  }

  it('lists its owner and the processes added, and removes itself', async () => {
    const temp = await ownedTempDir(prefix)
    made.push(temp.path)
    temp.addProcess(12345)
    assert.deepEqual((await readFile(join(temp.path, 'pids'), 'utf8')).trim().split('\n').map(Number), [process.pid, 12345])
    await temp.remove()
    assert.equal(existsSync(temp.path), false)
  })

  it('sweeps the directories whose processes all exited, and keeps the others', async () => {
    const exited = spawnSync(process.execPath, ['-e', '']).pid
    const dead = await abandoned([exited])
    const oneAlive = await abandoned([exited, process.pid])
    const noPids = await mkdtemp(join(tmpdir(), prefix))
    made.push(noPids)
    const emptyPids = await abandoned([])
    const temp = await ownedTempDir(prefix)
    made.push(temp.path)
    assert.equal(existsSync(dead), false, 'every process gone: removed')
    assert.equal(existsSync(oneAlive), true, 'a process still using it: kept')
    assert.equal(existsSync(noPids), true, 'no pids file (not one of these, or being made): kept')
    assert.equal(existsSync(emptyPids), true, 'an empty pids file (being written right now): kept')
  })
})
