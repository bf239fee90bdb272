/**
 * A child process printing one JSON event per line, for tests that must kill a node the hard
 * way (SIGKILL: no shutdown code runs). Every wait is bounded; `kill()` is idempotent.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'

/** One JSON event a child printed. */
export interface ChildEvent {
  event: string
  [field: string]: any
}

export class Child {
  readonly events: ChildEvent[] = []
  readonly #child: ChildProcess
  #stderr = ''
  readonly exited: Promise<void>

  constructor (script: string, args: string[]) {
    this.#child = spawn(process.execPath, [script, ...args], { stdio: ['pipe', 'pipe', 'pipe'] })
    createInterface({ input: this.#child.stdout! }).on('line', line => {
      try {
        this.events.push(JSON.parse(line))
      } catch {
        this.events.push({ event: 'output', line })
      }
    })
    this.#child.stderr!.on('data', (chunk: Buffer) => { this.#stderr = (this.#stderr + chunk.toString()).slice(-4000) })
    this.exited = new Promise(resolve => { this.#child.once('exit', () => { resolve() }) })
  }

  /** Send one JSON command line. */
  send (command: Record<string, unknown>): void {
    this.#child.stdin!.write(JSON.stringify(command) + '\n')
  }

  /** The first event from `from` on that `match` accepts; throws on timeout or exit. */
  async waitFor (match: (e: ChildEvent) => boolean, timeoutMs = 20_000, from = 0): Promise<ChildEvent> {
    const deadline = Date.now() + timeoutMs
    let exited = false
    void this.exited.then(() => { exited = true })
    for (;;) {
      const found = this.events.slice(from).find(match)
      if (found != null) return found
      if (exited) throw new Error(`the child exited: ${this.#stderr.trim()}`)
      if (Date.now() > deadline) throw new Error(`no matching event within ${timeoutMs} ms; stderr: ${this.#stderr.trim()}`)
      await new Promise(resolve => setTimeout(resolve, 20))
    }
  }

  /** SIGKILL (kill -9) and wait for the exit. */
  async kill (): Promise<void> {
    if (this.#child.exitCode == null && this.#child.signalCode == null) this.#child.kill('SIGKILL')
    await this.exited
  }
}
