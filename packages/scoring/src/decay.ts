/**
 * `value` after `elapsedMs` of exponential decay with the given half-life:
 * `value * 2^(-elapsedMs / halfLifeMs)`. Exact at any elapsed time, so decay can be computed
 * lazily when a score is read instead of by a timer per peer. A clock that stepped backwards
 * (`elapsedMs < 0`) decays nothing; an infinite half-life never decays.
 */
export function decay (value: number, elapsedMs: number, halfLifeMs: number): number {
  if (value === 0 || !(elapsedMs > 0)) return value
  return value * Math.pow(2, -elapsedMs / halfLifeMs)
}
