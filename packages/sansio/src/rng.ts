import { getRandomValues } from 'node:crypto'
import type { Rng } from '@hearsay/interface'

/** Turn a string or number seed into 128 bits of state with a 32-bit mixing hash. */
function seedState (seed: number | string): Uint32Array {
  const text = String(seed)
  const state = new Uint32Array(4)
  let h = 1779033703 ^ text.length
  for (let i = 0; i < text.length; i++) {
    h = Math.imul(h ^ text.charCodeAt(i), 3432918353)
    h = (h << 13) | (h >>> 19)
  }
  for (let i = 0; i < 4; i++) {
    h = Math.imul(h ^ (h >>> 16), 2246822507)
    h = Math.imul(h ^ (h >>> 13), 3266489909)
    h ^= h >>> 16
    state[i] = h >>> 0
  }
  return state
}

/**
 * sfc32: a small, fast generator with a 128-bit state that passes PractRand; good for
 * simulation and tests, not for secrets.
 */
class Sfc32 implements Rng {
  readonly #s: Uint32Array

  constructor (state: Uint32Array) {
    this.#s = state
    // discard the first outputs, which still correlate with the seed
    for (let i = 0; i < 12; i++) this.#u32()
  }

  #u32 (): number {
    const s = this.#s
    let t = (s[0] + s[1]) >>> 0
    s[0] = s[1] ^ (s[1] >>> 9)
    s[1] = (s[2] + (s[2] << 3)) >>> 0
    s[2] = (s[2] << 21) | (s[2] >>> 11)
    s[3] = (s[3] + 1) >>> 0
    t = (t + s[3]) >>> 0
    s[2] = (s[2] + t) >>> 0
    return t
  }

  next (): number {
    return this.#u32() / 4294967296
  }

  int (maxExclusive: number): number {
    return Math.floor(this.next() * maxExclusive)
  }

  fork (): Rng {
    return new Sfc32(new Uint32Array([this.#u32(), this.#u32(), this.#u32(), this.#u32()]))
  }
}

/** A reproducible generator: the same seed always gives the same sequence. */
export function seededRng (seed: number | string): Rng {
  return new Sfc32(seedState(seed))
}

/** A generator seeded from the operating system's CSPRNG, for production adapters. */
export function cryptoRng (): Rng {
  return new Sfc32(getRandomValues(new Uint32Array(4)))
}
