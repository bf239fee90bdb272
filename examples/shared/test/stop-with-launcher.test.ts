import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const fixture = fileURLToPath(new URL('./fixtures/until-signal.ts', import.meta.url))

/** The output of `child` (and of everything that inherited its stdout), as it arrives. */
function collect (child: ChildProcess): { text: () => string } {
  let out = ''
  child.stdout!.on('data', (chunk: Buffer) => { out += chunk.toString() })
  return { text: () => out }
}

async function until (condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 50))
  }
}

function alive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe('stop-with-launcher', function () {
  this.timeout(30_000)
  const leftovers: number[] = []

  afterEach(() => {
    for (const pid of leftovers.splice(0)) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        // exited already
      }
    }
  })

  it('a program whose launching shell dies of SIGTERM gets SIGTERM itself (a shell does not pass it on)', async () => {
    // a process group of its own, as a terminal or a supervisor gives a command; `; true` keeps
    // sh from exec-ing node, as the shells on the way from npx to node do
    const sh = spawn('sh', ['-c', `"${process.execPath}" "${fixture}"; true`], { detached: true, stdio: ['ignore', 'pipe', 'inherit'] })
    leftovers.push(-sh.pid!)
    const out = collect(sh)
    await until(() => out.text().includes('ready'), 20_000, 'the program to start')
    const pid = Number(/ready (\d+)/.exec(out.text())![1])
    leftovers.push(pid)
    sh.kill('SIGTERM')
    await until(() => out.text().includes('SIGTERM') && !alive(pid), 5_000, 'the program to get SIGTERM and exit')
  })

  it('a program whose named launcher is no longer its parent when it starts (the launcher died while it loaded) stops at once', async () => {
    // HEARSAY_LAUNCHER_PID names pid 1, which is not this program's parent: as if the devnet that
    // spawned it had been SIGKILLed and the program re-parented before its watch began
    const child = spawn(process.execPath, [fixture], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, HEARSAY_LAUNCHER_PID: '1' } })
    leftovers.push(child.pid!)
    const out = collect(child)
    const code = await new Promise<number | null>(resolve => child.once('exit', resolve))
    // its own SIGTERM handler ran (a clean stop), with no launcher ever dying after it started
    assert.match(out.text(), /SIGTERM/)
    assert.equal(code, 0)
  })

  it('a program named by its live parent runs on, and does not pass the name to its own children', async () => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', `
      process.env.HEARSAY_LAUNCHER_PID = String(process.ppid)
      await import(${JSON.stringify(fixture)})
      process.stdout.write('inherited ' + (process.env.HEARSAY_LAUNCHER_PID ?? 'none') + '\\n')
    `], { stdio: ['ignore', 'pipe', 'inherit'] })
    leftovers.push(child.pid!)
    const out = collect(child)
    await until(() => out.text().includes('inherited'), 20_000, 'the program to start')
    assert.match(out.text(), /inherited none/)
    assert.equal(alive(child.pid!), true)
  })

  it('a program that leads its own process group outlives its parent, as `nohup … &` from a terminal does', async () => {
    // the parent starts the program in a group of its own and exits at once
    const parent = spawn(process.execPath, ['-e', `
      const { spawn } = require('node:child_process')
      const child = spawn(process.execPath, [${JSON.stringify(fixture)}], { detached: true, stdio: ['ignore', 'inherit', 'inherit'] })
      child.unref()`], { stdio: ['ignore', 'pipe', 'inherit'] })
    const out = collect(parent)
    await until(() => out.text().includes('ready'), 20_000, 'the program to start')
    const pid = Number(/ready (\d+)/.exec(out.text())![1])
    leftovers.push(pid)
    await until(() => parent.exitCode != null, 10_000, 'the parent to exit')
    // several polls of the launchers later, it still runs and was never signalled
    await new Promise(resolve => setTimeout(resolve, 2_000))
    assert.equal(alive(pid), true)
    assert.equal(out.text().includes('SIGTERM'), false)
  })
})
