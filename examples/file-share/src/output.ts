/**
 * What hearsay-share prints: human lines, or with `--json` one JSON object per line on stdout
 * (`{"event": "...", ...fields}`), so scripts never scrape human text. Errors and warnings go
 * to stderr as one line each in both modes (in JSON mode also as events on stdout).
 */
import prettyBytes from 'pretty-bytes'

/** An error in how the program was called: exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError'
}

/** Exit codes. */
export const EXIT = Object.freeze({ ok: 0, failure: 1, usage: 2, interrupted: 130 })

/** How much a command prints for people (JSON mode prints every event regardless). */
export type Verbosity = 'quiet' | 'normal' | 'verbose'

/** Prints events for one command. */
export class Output {
  readonly json: boolean
  readonly verbosity: Verbosity
  readonly #program: string

  constructor (json: boolean | undefined, verbosity: Verbosity = 'normal', program = 'hearsay-share') {
    this.json = json === true
    this.verbosity = verbosity
    this.#program = program
  }

  /** A status event: a JSON line, or `human` (when given) as text unless `--quiet`. */
  event (event: string, fields: Record<string, unknown>, human?: string): void {
    if (this.json) this.#json(event, fields)
    else if (human != null && this.verbosity !== 'quiet') process.stdout.write(human + '\n')
  }

  /** What the command is run for (an id, a saved path, a search hit): printed even with `--quiet`. */
  result (event: string, fields: Record<string, unknown>, human?: string): void {
    if (this.json) this.#json(event, fields)
    else if (human != null) process.stdout.write(human + '\n')
  }

  /** Human-only status text (nothing in JSON mode or with `--quiet`). */
  info (text: string): void {
    if (!this.json && this.verbosity !== 'quiet') process.stdout.write(text + '\n')
  }

  /** Human-only detail shown with `--verbose`. */
  detail (text: string): void {
    if (!this.json && this.verbosity === 'verbose') process.stdout.write(text + '\n')
  }

  /** A warning: one line on stderr, and a `warning` event in JSON mode. */
  warn (message: string): void {
    process.stderr.write(`${this.#program}: warning: ${message}\n`)
    if (this.json) this.#json('warning', { message })
  }

  /** The error that ends the program: one line on stderr, and an `error` event in JSON mode. */
  error (message: string, code: number): void {
    process.stderr.write(`${this.#program}: ${oneLine(message)}\n`)
    if (this.json) this.#json('error', { message: oneLine(message), code })
  }

  #json (event: string, fields: Record<string, unknown>): void {
    process.stdout.write(JSON.stringify({ event, ...fields }) + '\n')
  }
}

/** The first line of a message, so an error from a library never spills a stack or a dump. */
export function oneLine (message: string): string {
  return message.split('\n')[0].trim()
}

/** `1536000` → `1.54 MB` (SI units, as download speeds are quoted); fractions are rounded. */
export function formatBytes (bytes: number): string {
  return prettyBytes(Math.round(bytes))
}

/** `1 piece`, `3 pieces`. */
export function count (n: number, noun: string): string {
  return `${n} ${n === 1 ? noun : `${noun}s`}`
}

/** A PeerId shortened for humans: `12D3KooW…a1b2`. */
export function shortPeer (peerId: string): string {
  return peerId.length > 16 ? `${peerId.slice(0, 8)}…${peerId.slice(-4)}` : peerId
}
