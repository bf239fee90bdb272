import assert from 'node:assert/strict'
import { cryptoRng, exponential, pick, sample, seededRng, shuffle } from '@hearsay/sansio'

describe('seeded randomness', () => {
  it('repeats exactly for one seed and differs between seeds', () => {
    const a = seededRng(42)
    const b = seededRng(42)
    const c = seededRng(43)
    const seqA = Array.from({ length: 5 }, () => a.next())
    assert.deepEqual(seqA, Array.from({ length: 5 }, () => b.next()))
    assert.notDeepEqual(seqA, Array.from({ length: 5 }, () => c.next()))
    for (const x of seqA) assert.ok(x >= 0 && x < 1)
  })

  it('is uniform: chi-square of 100k ints in [0, 10) is below the p = 0.001 critical value', () => {
    for (const seed of ['uniform', 1, 2, 3]) {
      const rng = seededRng(seed)
      const counts = new Array<number>(10).fill(0)
      for (let i = 0; i < 100_000; i++) counts[rng.int(10)]++
      const chi2 = counts.reduce((sum, c) => sum + (c - 10_000) ** 2 / 10_000, 0)
      assert.ok(chi2 < 27.88, `seed ${seed}: chi2 ${chi2.toFixed(1)} for ${counts.join(',')}`)
    }
  })

  it('forks independent, reproducible streams', () => {
    const f1 = seededRng(7).fork()
    const f2 = seededRng(7).fork()
    assert.equal(f1.next(), f2.next())
    const parent = seededRng(7)
    const child = parent.fork()
    assert.notEqual(parent.next(), child.next())
  })

  it('cryptoRng gives values in range', () => {
    const rng = cryptoRng()
    for (let i = 0; i < 1000; i++) {
      const v = rng.int(3)
      assert.ok(v === 0 || v === 1 || v === 2)
    }
  })
})

describe('random helpers', () => {
  it('sample returns k distinct items, all of them at most', () => {
    const rng = seededRng(1)
    const items = Array.from({ length: 20 }, (_, i) => i)
    const s = sample(rng, items, 5)
    assert.equal(s.length, 5)
    assert.equal(new Set(s).size, 5)
    assert.equal(sample(rng, items, 50).length, 20)
    assert.deepEqual(sample(rng, [], 3), [])
    assert.equal(items.length, 20, 'input untouched')
  })

  it('sample draws as a partial Fisher–Yates on a copy, whether it copies or not', () => {
    // the textbook form: shuffle the first k positions of a copy, keep them
    const reference = (rng: ReturnType<typeof seededRng>, items: readonly number[], k: number): number[] => {
      const copy = items.slice()
      const n = Math.min(k, copy.length)
      for (let i = 0; i < n; i++) {
        const j = i + rng.int(copy.length - i)
        ;[copy[i], copy[j]] = [copy[j], copy[i]]
      }
      return copy.slice(0, n)
    }
    for (const length of [1, 3, 10, 100, 4096]) {
      const items = Array.from({ length }, (_, i) => i)
      for (const k of [0, 1, 2, Math.floor(length / 5), Math.floor(length / 4), length, length + 1]) {
        for (let seed = 0; seed < 5; seed++) {
          const a = seededRng(`${length}:${k}:${seed}`)
          const b = seededRng(`${length}:${k}:${seed}`)
          assert.deepEqual(sample(a, items, k), reference(b, items, k), `${k} of ${length}, seed ${seed}`)
          assert.equal(a.next(), b.next(), 'as many draws')
        }
      }
    }
  })

  it('shuffle permutes in place and pick handles empty lists', () => {
    const rng = seededRng(2)
    const items = [1, 2, 3, 4, 5, 6]
    shuffle(rng, items)
    assert.deepEqual(items.slice().sort(), [1, 2, 3, 4, 5, 6])
    assert.equal(pick(rng, []), undefined)
    assert.ok([7, 8].includes(pick(rng, [7, 8]) as number))
  })

  it('exponential has the requested mean (within 2% over 200k draws)', () => {
    const rng = seededRng(3)
    let sum = 0
    const n = 200_000
    for (let i = 0; i < n; i++) sum += exponential(rng, 2000)
    assert.ok(Math.abs(sum / n - 2000) < 40, `mean ${sum / n}`)
    assert.equal(exponential(rng, 0), 0)
  })
})
