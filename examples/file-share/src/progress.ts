/**
 * Download progress for people and scripts: a cli-progress bar on a terminal (percent, MB/s,
 * peers, ETA), a line every few seconds when output is not a terminal, and throttled
 * `progress` events with `--json`.
 */
import { SingleBar } from 'cli-progress'
import { formatBytes, type Output } from './output.ts'
import type { GetProgress } from '@hearsay/file-index'

/** Shows the progress of one download. */
export interface ProgressView {
  update(progress: GetProgress): void
  stop(): void
}

const JSON_EVERY_MS = 250
const LINE_EVERY_MS = 2_000

export function progressView (out: Output, tty: boolean = process.stderr.isTTY === true): ProgressView {
  if (out.json) return throttled(JSON_EVERY_MS, p => { out.event('progress', { ...p }) })
  if (!tty) {
    return throttled(LINE_EVERY_MS, p => {
      out.info(`${percent(p)}%  ${formatBytes(p.bytesDone)} of ${formatBytes(p.bytes)}  ${formatBytes(p.rate)}/s  ${p.peers} peer${p.peers === 1 ? '' : 's'}`)
    })
  }
  const bar = new SingleBar({
    format: '{bar} {percentage}% | {done} of {total_size} | {speed}/s | {peers} peers | ETA {eta_formatted}',
    barCompleteChar: '█',
    barIncompleteChar: '░',
    hideCursor: true,
    stream: process.stderr,
    etaBuffer: 50
  })
  let started = false
  return {
    update (p) {
      const payload = { done: formatBytes(p.bytesDone), total_size: formatBytes(p.bytes), speed: formatBytes(p.rate), peers: p.peers }
      if (!started) {
        bar.start(p.bytes, p.bytesDone, payload)
        started = true
      } else {
        bar.update(p.bytesDone, payload)
      }
    },
    stop () { if (started) bar.stop() }
  }
}

function percent (p: GetProgress): string {
  return p.bytes === 0 ? '100' : (100 * p.bytesDone / p.bytes).toFixed(1)
}

/** At most one call of `show` per `everyMs`, and always the last state on stop. */
function throttled (everyMs: number, show: (p: GetProgress) => void): ProgressView {
  let last = 0
  let pending: GetProgress | undefined
  return {
    update (p) {
      const now = Date.now()
      if (now - last >= everyMs || p.piecesDone === p.pieces) {
        last = now
        pending = undefined
        show(p)
      } else {
        pending = p
      }
    },
    stop () { if (pending != null) show(pending) }
  }
}
