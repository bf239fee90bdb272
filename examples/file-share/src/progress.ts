/**
 * Download progress for people and scripts: a cli-progress bar on a terminal (percent, MB/s,
 * peers, ETA), a line every few seconds when output is not a terminal, throttled `progress`
 * events with `--json`, and nothing with `--quiet`.
 */
import { SingleBar } from 'cli-progress'
import { count, formatBytes, type Output } from './output.ts'
import type { GetProgress } from '@hearsay/file-index'

/** Shows the progress of one download. */
export interface ProgressView {
  update(progress: GetProgress): void
  /** Show the last state once and stop; later calls do nothing. */
  stop(): void
}

const JSON_EVERY_MS = 250
const LINE_EVERY_MS = 2_000

export function progressView (out: Output, tty: boolean = process.stderr.isTTY === true): ProgressView {
  if (out.json) return throttled(JSON_EVERY_MS, p => { out.event('progress', { ...p, rate: Math.round(p.rate) }) })
  if (out.verbosity === 'quiet') return { update () {}, stop () {} }
  if (!tty) {
    return throttled(LINE_EVERY_MS, p => {
      out.info(`${percent(p)}%  ${formatBytes(p.bytesDone)} of ${formatBytes(p.bytes)}  ${formatBytes(p.rate)}/s  ${count(p.peers, 'peer')}`)
    })
  }
  const bar = new SingleBar({
    format: '{bar} {percentage}% | {done} of {total_size} | {speed}/s | {peers} | ETA {eta_formatted}',
    barCompleteChar: '█',
    barIncompleteChar: '░',
    hideCursor: true,
    stream: process.stderr,
    etaBuffer: 50
  })
  let state: 'new' | 'running' | 'stopped' = 'new'
  return {
    update (p) {
      if (state === 'stopped') return
      const payload = { done: formatBytes(p.bytesDone), total_size: formatBytes(p.bytes), speed: formatBytes(p.rate), peers: count(p.peers, 'peer') }
      if (state === 'new') {
        bar.start(p.bytes, p.bytesDone, payload)
        state = 'running'
      } else {
        bar.update(p.bytesDone, payload)
      }
    },
    stop () {
      if (state === 'running') bar.stop()
      state = 'stopped'
    }
  }
}

function percent (p: GetProgress): string {
  return p.bytes === 0 ? '100' : (100 * p.bytesDone / p.bytes).toFixed(1)
}

/**
 * At most one call of `show` per `everyMs`; the complete state as soon as it comes, once (the
 * download may report it more than once); on stop, the last state not yet shown.
 */
function throttled (everyMs: number, show: (p: GetProgress) => void): ProgressView {
  let last = 0
  let pending: GetProgress | undefined
  let stopped = false
  let complete = false
  return {
    update (p) {
      if (stopped || complete) return
      complete = p.piecesDone === p.pieces
      const now = Date.now()
      if (now - last >= everyMs || complete) {
        last = now
        pending = undefined
        show(p)
      } else {
        pending = p
      }
    },
    stop () {
      if (pending != null && !stopped) show(pending)
      pending = undefined
      stopped = true
    }
  }
}
