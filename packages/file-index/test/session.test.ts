import assert from 'node:assert/strict'
import { PieceSession, type PieceMessage, type ServedFile } from '@hearsay/file-index/pieces'
import { manifestCid, encodeManifest } from '@hearsay/file-index'

const bits = (...set: number[]): Uint8Array => {
  const out = new Uint8Array(1)
  for (const i of set) out[0] |= 0x80 >> i
  return out
}
const have = (index: number): PieceMessage => ({ type: 'have', index })
const piece: PieceMessage = { type: 'piece', index: 0, offset: 0, data: new Uint8Array(4) }

describe('PieceSession (sans-IO): the downloader checks a provider', () => {
  it('joins one bitfield that fits the file, then accepts pieces', () => {
    const session = new PieceSession('downloader')
    assert.equal(session.fromProvider(piece, 4).type, 'fail')
    assert.deepEqual(session.fromProvider({ type: 'bitfield', bits: bits(0, 1) }, 4), { type: 'accept' })
    assert.ok(session.joined)
    assert.deepEqual(session.fromProvider(piece, 4), { type: 'accept' })
    assert.deepEqual(session.fromProvider({ type: 'bitfield', bits: bits(0) }, 4), { type: 'fail', infraction: 'unexpected-frame', detail: 'a second bitfield' })
  })

  it('holds a bitfield that comes before the manifest, adds haves to it, and joins it once the piece count is known', () => {
    const session = new PieceSession('downloader')
    assert.equal(session.fromProvider({ type: 'bitfield', bits: bits(0) }, undefined).type, 'accept')
    assert.ok(!session.joined)
    assert.equal(session.fromProvider(have(2), undefined).type, 'accept')
    assert.deepEqual(session.heldBits, bits(0, 2))
    assert.deepEqual(session.fromProvider(piece, undefined), { type: 'fail', infraction: 'unrequested-data', detail: 'a piece before the session was set up' })
    assert.deepEqual(session.join(3), { type: 'accept' })
    assert.ok(session.joined)
    assert.equal(session.heldBits, undefined)
  })

  it('fails a bitfield of the wrong size, a have past the end and frames only a downloader sends', () => {
    assert.deepEqual(new PieceSession('downloader').fromProvider({ type: 'bitfield', bits: new Uint8Array(3) }, 4),
      { type: 'fail', infraction: 'malformed-frame', detail: 'bitfield of 3 bytes for 4 pieces' })
    assert.deepEqual(new PieceSession('downloader').fromProvider(have(4), 4), { type: 'fail', infraction: 'malformed-frame', detail: 'have 4 of 4 pieces' })
    assert.deepEqual(new PieceSession('downloader').fromProvider({ type: 'request', index: 0, offset: 0, length: 1 }, 4),
      { type: 'fail', infraction: 'unexpected-frame', detail: 'a provider sent a request frame' })
  })
})

describe('PieceSession (sans-IO): the provider checks a downloader', () => {
  const manifest = encodeManifest({ name: 'a', size: 10, pieceSize: 16 * 1024, pieces: [new Uint8Array(32)] })
  const id = manifestCid(manifest)
  const file: ServedFile = { pieces: 2, pieceLength: () => 100, has: index => index === 0 }
  const limits = { maxRequestBytes: 50, maxQueuedRequests: 2 }
  const request = (index: number, length = 10): PieceMessage => ({ type: 'request', index, offset: 0, length })

  it('takes one hello naming a file id, and requests only after it', () => {
    const session = new PieceSession('provider')
    assert.deepEqual(session.fromDownloader(request(0)), { type: 'fail', infraction: 'unexpected-frame', detail: 'a request before hello' })
    assert.deepEqual(session.fromDownloader({ type: 'hello', file: id.bytes, wantManifest: true }), { type: 'accept', file: id.toString() })
    assert.deepEqual(session.fromDownloader(request(0), file, 0, limits), { type: 'accept' })
    assert.deepEqual(session.fromDownloader({ type: 'hello', file: id.bytes, wantManifest: true }), { type: 'fail', infraction: 'unexpected-frame', detail: 'a second hello on one stream' })
  })

  it('fails a hello that names no file id', () => {
    const action = new PieceSession('provider').fromDownloader({ type: 'hello', file: Uint8Array.from([1, 2, 3]), wantManifest: false })
    assert.equal(action.type, 'fail')
    assert.equal(action.type === 'fail' ? action.infraction : '', 'malformed-frame')
  })

  it('rejects requests outside the file (reported), too large, not held or over the queue', () => {
    const session = new PieceSession('provider')
    session.fromDownloader({ type: 'hello', file: id.bytes, wantManifest: false })
    const range = (index: number, length = 10): object => ({ index, offset: 0, length })
    assert.deepEqual(session.fromDownloader(request(2), file, 0, limits),
      { type: 'reject', reason: 'invalid', range: range(2), report: { infraction: 'malformed-frame', detail: 'request 2:0+10 outside the file' } })
    assert.deepEqual(session.fromDownloader(request(0, 60), file, 0, limits), { type: 'reject', reason: 'too-large', range: range(0, 60) })
    assert.deepEqual(session.fromDownloader(request(1), file, 0, limits), { type: 'reject', reason: 'not-found', range: range(1) })
    assert.deepEqual(session.fromDownloader(request(0), file, 2, limits), { type: 'reject', reason: 'busy', range: range(0), retryAfterMs: 500 })
    assert.deepEqual(session.fromDownloader({ type: 'piece', index: 0, offset: 0, data: new Uint8Array(1) }, file, 0, limits),
      { type: 'fail', infraction: 'unexpected-frame', detail: 'a downloader sent a piece frame' })
  })
})
