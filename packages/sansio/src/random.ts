import type { Rng } from '@hearsay/interface'

/** One uniformly chosen element, or `undefined` for an empty list. */
export function pick<T> (rng: Rng, items: readonly T[]): T | undefined {
  return items.length === 0 ? undefined : items[rng.int(items.length)]
}

/** Fisher–Yates shuffle of `items` in place; returns `items`. */
export function shuffle<T> (rng: Rng, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.int(i + 1)
    const tmp = items[i]
    items[i] = items[j]
    items[j] = tmp
  }
  return items
}

/** `k` distinct elements chosen uniformly (all of them, shuffled, when `k >= items.length`). */
export function sample<T> (rng: Rng, items: readonly T[], k: number): T[] {
  const n = Math.min(Math.max(0, Math.floor(k)), items.length)
  if (n * 4 < items.length) return sampleSparse(rng, items, n)
  const copy = items.slice()
  // partial Fisher–Yates: only the first n positions are needed
  for (let i = 0; i < n; i++) {
    const j = i + rng.int(copy.length - i)
    const tmp = copy[i]
    copy[i] = copy[j]
    copy[j] = tmp
  }
  return copy.slice(0, n)
}

/**
 * {@link sample} of a few from many: the same draws and the same result, but only the positions
 * the partial Fisher–Yates moved are remembered instead of copying all of `items`.
 */
function sampleSparse<T> (rng: Rng, items: readonly T[], n: number): T[] {
  const moved = new Map<number, T>()
  const out = new Array<T>(n)
  for (let i = 0; i < n; i++) {
    const j = i + rng.int(items.length - i)
    // swap positions i and j; position i is never drawn again, so only j's new value is kept
    out[i] = moved.has(j) ? moved.get(j) as T : items[j]
    moved.set(j, moved.has(i) ? moved.get(i) as T : items[i])
  }
  return out
}

/** An exponentially distributed delay with the given mean (a Poisson process's gaps). */
export function exponential (rng: Rng, mean: number): number {
  if (mean <= 0) return 0
  // 1 - next() is in (0, 1], so the log is finite
  return -Math.log(1 - rng.next()) * mean
}
