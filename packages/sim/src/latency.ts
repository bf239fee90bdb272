import type { Rng } from '@hearsay/interface'

/** A link latency distribution, in ms. */
export type LatencySpec =
  | { kind: 'constant', ms: number }
  | { kind: 'uniform', min: number, max: number }
  /** log-normal: `median * exp(sigma * N(0, 1))` */
  | { kind: 'lognormal', median: number, sigma: number }

/** The default: log-normal with a median of 50 ms and sigma 0.5 (p10 ≈ 26 ms, p90 ≈ 95 ms). */
export const DEFAULT_LATENCY: LatencySpec = Object.freeze({ kind: 'lognormal', median: 50, sigma: 0.5 })

/**
 * Parse `constant:50`, `uniform:10:100` or `lognormal:50:0.5` (median, sigma; sigma defaults
 * to 0.5). A bare number is a constant.
 */
export function parseLatency (text: string): LatencySpec {
  const parts = text.trim().split(':')
  const nums = parts.slice(1).map(Number)
  const bad = (): never => { throw new RangeError(`bad latency "${text}": use constant:MS, uniform:MIN:MAX or lognormal:MEDIAN[:SIGMA]`) }
  if (nums.some(v => !Number.isFinite(v) || v < 0)) bad()
  if (parts.length === 1) {
    const ms = Number(parts[0])
    if (!Number.isFinite(ms) || ms < 0) bad()
    return { kind: 'constant', ms }
  }
  switch (parts[0]) {
    case 'constant':
      if (nums.length !== 1) bad()
      return { kind: 'constant', ms: nums[0] }
    case 'uniform':
      if (nums.length !== 2 || nums[0] > nums[1]) bad()
      return { kind: 'uniform', min: nums[0], max: nums[1] }
    case 'lognormal':
      if (nums.length < 1 || nums.length > 2) bad()
      return { kind: 'lognormal', median: nums[0], sigma: nums[1] ?? 0.5 }
    default:
      return bad()
  }
}

/** The spec back as text, as {@link parseLatency} reads it. */
export function formatLatency (spec: LatencySpec): string {
  switch (spec.kind) {
    case 'constant': return `constant:${spec.ms}`
    case 'uniform': return `uniform:${spec.min}:${spec.max}`
    case 'lognormal': return `lognormal:${spec.median}:${spec.sigma}`
  }
}

/** A sampler of the distribution. */
export function latencySampler (spec: LatencySpec, rng: Rng): () => number {
  switch (spec.kind) {
    case 'constant': return () => spec.ms
    case 'uniform': return () => spec.min + (spec.max - spec.min) * rng.next()
    case 'lognormal': {
      const { median, sigma } = spec
      return () => {
        // Box–Muller; 1 - next() is in (0, 1]
        const u = 1 - rng.next()
        const v = rng.next()
        const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v)
        return median * Math.exp(sigma * z)
      }
    }
  }
}
