/**
 * What hearsay-relay prints. The convention, the same for every command: human lines on stdout,
 * or with `--json` one JSON object per line on stdout (`{"event": "...", ...fields}`); errors
 * and warnings are one line on stderr (and also an `error`/`warning` event with `--json`).
 * `--quiet` keeps only errors and warnings; `--verbose` also turns on the `hearsay:*` debug log.
 */

/** A mistake in how the program was called (a bad flag value, an unreadable file it names): exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError'
}

/** Exit codes: 0 done, 1 failed, 2 usage error. */
export const EXIT = Object.freeze({ ok: 0, failure: 1, usage: 2 })

/** How much to print. */
export interface OutputOptions {
  json?: boolean
  quiet?: boolean
}

/** Prints the events of one command. */
export class Output {
  readonly json: boolean
  readonly quiet: boolean

  constructor (options: OutputOptions = {}) {
    this.json = options.json === true
    this.quiet = options.quiet === true
  }

  /** One event: a JSON line, or `human` as text (unless `--quiet`). */
  event (event: string, fields: Record<string, unknown>, human: string): void {
    if (this.json) process.stdout.write(JSON.stringify({ event, ...fields }) + '\n')
    else if (!this.quiet) process.stdout.write(human + '\n')
  }

  /** A warning: one line on stderr, and a `warning` event with `--json`. */
  warn (message: string): void {
    process.stderr.write(`hearsay-relay: warning: ${message}\n`)
    if (this.json) process.stdout.write(JSON.stringify({ event: 'warning', message }) + '\n')
  }

  /** The error that ends the program: one line on stderr, and an `error` event with `--json`. */
  error (message: string, code: number): void {
    process.stderr.write(`hearsay-relay: ${message.split('\n')[0]}\n`)
    if (this.json) process.stdout.write(JSON.stringify({ event: 'error', message, code }) + '\n')
  }
}
