import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { InvalidTxError, TX_BYTES, decodeTx, encodeTx, publicKeyHex, signTx, txFromJson, txId, txToJson, verifyTx } from '../src/tx.ts'

const { privateKey } = generateKeyPairSync('ed25519')
const from = publicKeyHex(privateKey)
const to = 'ab'.repeat(32)

describe('transactions', () => {
  it('encode to a fixed size, round-trip, and verify', () => {
    const tx = signTx({ from, to, amount: 10n, fee: 2n, nonce: 0n }, privateKey)
    const bytes = encodeTx(tx)
    assert.equal(bytes.byteLength, TX_BYTES)
    assert.deepEqual(decodeTx(bytes), tx)
    assert.ok(verifyTx(tx))
    assert.equal(txId(tx), txId(bytes))
    assert.deepEqual(txFromJson(JSON.parse(JSON.stringify(txToJson(tx)))), tx)
  })

  it('any changed field breaks the signature', () => {
    const tx = signTx({ from, to, amount: 10n, fee: 2n, nonce: 0n }, privateKey)
    assert.equal(verifyTx({ ...tx, amount: 11n }), false)
    assert.equal(verifyTx({ ...tx, to: 'cd'.repeat(32) }), false)
    assert.equal(verifyTx({ ...tx, nonce: 1n }), false)
    const other = generateKeyPairSync('ed25519').privateKey
    assert.equal(verifyTx({ ...tx, from: publicKeyHex(other) }), false)
  })

  it('refuses malformed input with a reason', () => {
    const good = txToJson(signTx({ from, to, amount: 1n, fee: 1n, nonce: 0n }, privateKey))
    const cases: Array<[unknown, RegExp]> = [
      [null, /object/],
      [{ ...good, from: 'zz' }, /from/],
      [{ ...good, amount: -1 }, /amount/],
      [{ ...good, fee: '1.5' }, /fee/],
      [{ ...good, nonce: '18446744073709551616' }, /nonce/],
      [{ ...good, signature: 'ab' }, /signature/]
    ]
    for (const [input, message] of cases) assert.throws(() => txFromJson(input), (err: any) => err instanceof InvalidTxError && message.test(err.message))
    assert.throws(() => decodeTx(new Uint8Array(10)), InvalidTxError)
    const wrongVersion = encodeTx(txFromJson(good))
    wrongVersion[0] = 9
    assert.throws(() => decodeTx(wrongVersion), /version/)
  })
})
