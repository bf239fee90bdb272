import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { launcherEnv } from '../../shared/src/launcher-env.ts'

/** One newline-delimited JSON event from a child process. */
export interface ChildEvent {
  event: string
  [field: string]: any
}

/**
 * A program run as a separate process that prints one JSON event per line on stdout and reads
 * JSON commands on stdin. Every wait is bounded; `stop()` ends the process (SIGTERM, then
 * SIGKILL after a grace period) so no child outlives its parent's run.
 */
export class JsonProcess {
  readonly name: string
  readonly events: ChildEvent[] = []
  readonly #child: ChildProcess
  readonly #waiters = new Set<() => void>()
  #exited = false
  #stderr = ''
  readonly #exit: Promise<number | null>

  /**
   * @param launcher - a command that runs Node in its place, e.g. `['ip', 'netns', 'exec', ns]`
   * to start it inside a network namespace (that command must exec Node, keeping the pid)
   */
  constructor (name: string, script: string, args: string[], launcher: string[] = []) {
    this.name = name
    const argv = [...launcher, process.execPath, script, ...args]
    this.#child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], env: launcherEnv() })
    createInterface({ input: this.#child.stdout! }).on('line', line => {
      try {
        this.events.push(JSON.parse(line))
      } catch {
        this.events.push({ event: 'output', line })
      }
      this.#wake()
    })
    this.#child.stderr!.on('data', (chunk: Buffer) => { this.#stderr = (this.#stderr + chunk.toString()).slice(-4000) })
    this.#exit = new Promise(resolve => {
      this.#child.on('exit', code => { this.#exited = true; this.#wake(); resolve(code) })
    })
  }

  /** The last few kB the process wrote on stderr. */
  get stderr (): string {
    return this.#stderr
  }

  /** Send a signal (e.g. SIGINT, as Ctrl-C would). */
  kill (signal: NodeJS.Signals): void {
    this.#child.kill(signal)
  }

  /** The exit code (null when killed by a signal), once the process has exited; rejects after `timeoutMs`. */
  async exitCode (timeoutMs: number): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => { reject(new Error(`${this.name}: still running after ${timeoutMs} ms`)) }, timeoutMs)
    })
    try {
      return await Promise.race([this.#exit, timeout])
    } finally {
      clearTimeout(timer)
    }
  }

  #wake (): void {
    for (const waiter of this.#waiters) waiter()
  }

  /** Send one command as a JSON line. */
  send (command: Record<string, unknown>): void {
    this.#child.stdin!.write(JSON.stringify(command) + '\n')
  }

  /** Resolve with the first event (from `fromIndex` on) that `match` accepts; reject on timeout or exit. */
  async waitFor (match: (e: ChildEvent) => boolean, timeoutMs: number, fromIndex = 0): Promise<ChildEvent> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const found = this.events.slice(fromIndex).find(match)
        if (found != null) finish(() => { resolve(found) })
        else if (this.#exited) finish(() => { reject(new Error(`${this.name} exited${this.#stderr !== '' ? `: ${this.#stderr.trim()}` : ''}`)) })
      }
      const timer = setTimeout(() => { finish(() => { reject(new Error(`${this.name}: no matching event within ${timeoutMs} ms`)) }) }, timeoutMs)
      const finish = (settle: () => void): void => {
        clearTimeout(timer)
        this.#waiters.delete(check)
        settle()
      }
      this.#waiters.add(check)
      check()
    })
  }

  /** Kill -9: no shutdown code runs (what a crash or power cut leaves behind); resolves once it has exited. */
  async killHard (timeoutMs = 10_000): Promise<void> {
    this.kill('SIGKILL')
    await this.exitCode(timeoutMs)
  }

  /** Stop the process: close stdin and SIGTERM, SIGKILL if it has not exited after `graceMs`. */
  async stop (graceMs = 5_000): Promise<void> {
    if (this.#exited) return
    const exited = new Promise<void>(resolve => { this.#child.once('exit', () => { resolve() }) })
    this.#child.stdin!.end()
    this.#child.kill('SIGTERM')
    const timer = setTimeout(() => { this.#child.kill('SIGKILL') }, graceMs)
    await exited
    clearTimeout(timer)
  }
}
