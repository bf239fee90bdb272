import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { ManualClock } from '@hearsay/sansio'
import { Mempool } from '../src/mempool.ts'
import { TX_BYTES, publicKeyHex, signTx, type Tx } from '../src/tx.ts'

const { privateKey } = generateKeyPairSync('ed25519')
const from = publicKeyHex(privateKey)
const tx = (nonce: number, fee = 1, amount = 1): Tx => signTx({ from, to: 'ab'.repeat(32), amount: BigInt(amount), fee: BigInt(fee), nonce: BigInt(nonce) }, privateKey)

describe('Mempool', () => {
  it('dedupes by id and lets the first spend of a nonce win', () => {
    const pool = new Mempool({ clock: new ManualClock() })
    assert.ok(pool.add(tx(0)).ok)
    assert.deepEqual(pick(pool.add(tx(0))), 'duplicate')
    assert.deepEqual(pick(pool.add(tx(0, 5))), 'conflict', 'a different tx spending the same nonce')
    assert.equal(pool.size, 1)
    assert.equal(pool.nextNonce(from), 1n)
  })

  it('refuses a fee below the minimum', () => {
    const pool = new Mempool({ clock: new ManualClock(), minFee: 3n })
    assert.equal(pick(pool.add(tx(0, 2))), 'fee-too-low')
  })

  it('when full, evicts the lowest fee for a higher one and refuses a lower one', () => {
    const pool = new Mempool({ clock: new ManualClock(), maxCount: 3 })
    for (const [nonce, fee] of [[0, 5], [1, 2], [2, 7]]) assert.ok(pool.add(tx(nonce, fee)).ok)
    const result = pool.add(tx(3, 4))
    assert.ok(result.ok)
    assert.equal(result.evicted.length, 1)
    assert.deepEqual(pool.list().map(e => Number(e.tx.fee)), [7, 5, 4])
    assert.equal(pick(pool.add(tx(4, 1))), 'mempool-full')
    const bytes = new Mempool({ clock: new ManualClock(), maxBytes: 2 * TX_BYTES })
    assert.ok(bytes.add(tx(0, 1)).ok && bytes.add(tx(1, 1)).ok)
    assert.equal(pick(bytes.add(tx(2, 1))), 'mempool-full')
  })

  it('expires old entries and frees their nonces', () => {
    const clock = new ManualClock(1_000)
    const pool = new Mempool({ clock, expiryMs: 60_000 })
    pool.add(tx(0))
    clock.advance(30_000)
    pool.add(tx(1))
    clock.advance(30_001)
    assert.deepEqual(pool.list().map(e => Number(e.tx.nonce)), [1])
    assert.ok(pool.add(tx(0, 9)).ok)
  })
})

function pick (result: ReturnType<Mempool['add']>): string {
  return result.ok ? 'ok' : result.reason
}
