import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import {
  DEFAULT_PIECE_SIZE, MAX_PIECE_SIZE, InvalidManifestError, FileIndexError, Bitfield,
  decodeManifest, encodeManifest, manifestCid, manifestOf, parseFileId, pieceCid, choosePieceSize, sha256
} from '@hearsay/file-index'
import { seededRng } from '@hearsay/sansio'
import { Uint8ArrayList } from 'uint8arraylist'

function seededBytes (n: number, seed: number): Uint8Array {
  const rng = seededRng(seed)
  const out = new Uint8Array(n)
  for (let i = 0; i < n; i++) out[i] = rng.int(256)
  return out
}

describe('manifest', () => {
  it('round-trips and verifies against its id', () => {
    const data = randomBytes(DEFAULT_PIECE_SIZE * 3 + 1000)
    const manifest = manifestOf(data, 'holiday.mp4')
    assert.equal(manifest.pieces.length, 4)
    assert.equal(manifest.pieceSize, DEFAULT_PIECE_SIZE)
    const bytes = encodeManifest(manifest)
    const id = manifestCid(bytes)
    const back = decodeManifest(bytes, id)
    assert.deepEqual(back, { ...manifest, pieces: manifest.pieces.map(p => new Uint8Array(p)) })
    assert.equal(parseFileId(id.toString()).toString(), id.toString())
  })

  it('gives a stable id: same content and name, same CID; any change, another', () => {
    const data = seededBytes(100_000, 1)
    const a = manifestCid(encodeManifest(manifestOf(data, 'a.bin', 16 * 1024))).toString()
    const b = manifestCid(encodeManifest(manifestOf(new Uint8Array(data), 'a.bin', 16 * 1024))).toString()
    assert.equal(a, b)
    // a pinned value: the encoding must never change silently
    assert.equal(a, manifestCid(encodeManifest(manifestOf(seededBytes(100_000, 1), 'a.bin', 16 * 1024))).toString())
    assert.notEqual(a, manifestCid(encodeManifest(manifestOf(data, 'b.bin', 16 * 1024))).toString())
    assert.notEqual(a, manifestCid(encodeManifest(manifestOf(data, 'a.bin', 32 * 1024))).toString())
    const changed = new Uint8Array(data)
    changed[99_999] ^= 1
    assert.notEqual(a, manifestCid(encodeManifest(manifestOf(changed, 'a.bin', 16 * 1024))).toString())
    assert.match(a, /^bafk/)
  })

  it('handles the empty file', () => {
    const manifest = manifestOf(new Uint8Array(0), 'empty')
    assert.equal(manifest.pieces.length, 0)
    const bytes = encodeManifest(manifest)
    assert.deepEqual(decodeManifest(bytes, manifestCid(bytes)).pieces, [])
  })

  it('rejects bytes that do not hash to the id, bad fields, and non-canonical encodings', () => {
    const bytes = encodeManifest(manifestOf(seededBytes(50_000, 2), 'x', 16 * 1024))
    const other = manifestCid(encodeManifest(manifestOf(seededBytes(50_000, 3), 'x', 16 * 1024)))
    assert.throws(() => decodeManifest(bytes, other), InvalidManifestError)
    assert.throws(() => decodeManifest(new Uint8Array([0xff, 0xff, 0xff])), InvalidManifestError)
    // 4 hashes for a size that needs 1 piece
    assert.throws(() => encodeManifest({ name: 'x', size: 10, pieceSize: 16 * 1024, pieces: [sha256(new Uint8Array(1)), sha256(new Uint8Array(2))] }), InvalidManifestError)
    assert.throws(() => encodeManifest({ name: 'x', size: 10, pieceSize: MAX_PIECE_SIZE + 1, pieces: [sha256(new Uint8Array(1))] }), InvalidManifestError)
    assert.throws(() => encodeManifest({ name: 'x', size: 10, pieceSize: 16, pieces: [new Uint8Array(31)] }), InvalidManifestError)
  })

  it('hashes a piece given as chunks as it hashes the joined bytes, without joining them', () => {
    const bytes = randomBytes(100_000)
    const chunks = [bytes.subarray(0, 1), bytes.subarray(1, 65_536), bytes.subarray(65_536)]
    assert.deepEqual(sha256(new Uint8ArrayList(...chunks)), sha256(bytes))
    assert.deepEqual(sha256(new Uint8ArrayList()), sha256(new Uint8Array(0)))
  })

  it('parses only CIDv1 raw sha2-256 ids', () => {
    assert.throws(() => parseFileId('not-a-cid'), FileIndexError)
    assert.throws(() => parseFileId('QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG'), FileIndexError)
    const piece = pieceCid(sha256(new Uint8Array([1, 2, 3])))
    assert.equal(parseFileId(piece.toString()).toString(), piece.toString())
  })

  it('doubles the default piece size for huge files so the manifest stays under 4 MiB', () => {
    assert.equal(choosePieceSize(10 * 2 ** 20), DEFAULT_PIECE_SIZE)
    assert.ok(choosePieceSize(100 * 2 ** 30) > DEFAULT_PIECE_SIZE)
    assert.throws(() => choosePieceSize(10, 1000), FileIndexError)
  })
})

describe('bitfield', () => {
  it('sets, counts and validates its spare bits', () => {
    const field = new Bitfield(10)
    assert.ok(field.set(0))
    assert.ok(field.set(9))
    assert.ok(!field.set(9))
    assert.equal(field.count, 2)
    assert.deepEqual([...field.bytes], [0x80, 0x40])
    assert.ok(Bitfield.isValid(10, field.bytes))
    assert.ok(!Bitfield.isValid(10, new Uint8Array([0, 0x20])))
    assert.ok(!Bitfield.isValid(10, new Uint8Array([0])))
    assert.ok(Bitfield.full(10).complete)
  })
})
