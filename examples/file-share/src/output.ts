/**
 * What hearsay-share prints: human lines, or with `--json` one JSON object per line on stdout
 * (`{"event": "...", ...fields}`), so scripts never scrape human text.
 */

/** An error in how the program was called: exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError'
}

/** Exit codes. */
export const EXIT = Object.freeze({ ok: 0, failure: 1, usage: 2, interrupted: 130 })

/** Prints events for one command. */
export class Output {
  readonly json: boolean
  readonly #program: string

  constructor (json: boolean | undefined, program = 'hearsay-share') {
    this.json = json === true
    this.#program = program
  }

  /** One event: a JSON line, or `human` (when given) as text. */
  event (event: string, fields: Record<string, unknown>, human?: string): void {
    if (this.json) process.stdout.write(JSON.stringify({ event, ...fields }) + '\n')
    else if (human != null) process.stdout.write(human + '\n')
  }

  /** Human-only text (nothing in JSON mode). */
  info (text: string): void {
    if (!this.json) process.stdout.write(text + '\n')
  }

  /** A warning: one line on stderr, and a `warning` event in JSON mode. */
  warn (message: string): void {
    process.stderr.write(`${this.#program}: warning: ${message}\n`)
    if (this.json) process.stdout.write(JSON.stringify({ event: 'warning', message }) + '\n')
  }

  /** The error that ends the program: one line on stderr, and an `error` event in JSON mode. */
  error (message: string, code: number): void {
    process.stderr.write(`${this.#program}: ${message}\n`)
    if (this.json) process.stdout.write(JSON.stringify({ event: 'error', message, code }) + '\n')
  }
}

/** `1536000` → `1.5 MB` (SI units, as download speeds are quoted). */
export function formatBytes (bytes: number): string {
  if (bytes < 1000) return `${bytes} B`
  const units = ['kB', 'MB', 'GB', 'TB']
  let value = bytes
  let unit = -1
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000
    unit++
  }
  return `${value.toFixed(value < 10 ? 2 : value < 100 ? 1 : 0)} ${units[unit]}`
}

/** A PeerId shortened for humans: `12D3KooW…a1b2`. */
export function shortPeer (peerId: string): string {
  return peerId.length > 16 ? `${peerId.slice(0, 8)}…${peerId.slice(-4)}` : peerId
}
