/**
 * Small helpers shared by the scenarios that need them: waiting, and figures with ratios.
 *
 * @module
 */
import type { Figure } from './report.ts'

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
