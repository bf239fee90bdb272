/**
 * Small helpers shared by the scenarios that need them: waiting, and figures with ratios.
 *
 * @module
 */
import type { Figure } from './report.ts'

/**
 * V8's old-space limit (MiB) of the processes that run many hosts at once (`scale`, memory by
 * service): the 2 GiB the `scale` goal allows, less the young generation and what lives outside
 * V8's heap. V8 keeps the pages a burst of work leaves free for as long as its limit allows: with
 * 8192 MiB, 1000 default hosts held 1989 to 2289 MiB of RSS after settling, about 1 GiB of it
 * free old-space pages (V8's memory-reducing GC returned them: 2195 to 1309 MiB); with this limit
 * the same hosts held 1134 to 1251 MiB, at the same idle CPU (13.2 vs 14.3 % of a core in
 * an A/B run back to back), and 1355 MiB rather than 1707 at steady state.
 */
export const HOSTS_HEAP_LIMIT_MIB = 1536

/** Resolve after `ms` milliseconds. */
export async function sleep (ms: number): Promise<void> {
  await new Promise(resolve => setTimeout(resolve, ms))
}

/** Poll `condition` every 25 ms until it holds (true) or `timeoutMs` passes (false). */
export async function until (condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) return false
    await sleep(25)
  }
  return true
}

/** A figure with its baseline and `value / baseline` (no ratio against a zero or missing baseline). */
export function figure (name: string, value: number, unit: string, baseline?: number): Figure {
  return {
    name,
    value,
    unit,
    ...(baseline != null ? { baseline } : {}),
    ...(baseline != null && baseline !== 0 && Number.isFinite(baseline) ? { ratio: value / baseline } : {})
  }
}
