import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { PieceHasher } from '@hearsay/file-index'

const sha = (bytes: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(bytes).digest())

describe('piece hasher', () => {
  it('hashes small pieces here and large ones on its worker, many at once, each to its own digest', async () => {
    const hasher = new PieceHasher()
    const pieces = [randomBytes(1000), ...Array.from({ length: 16 }, () => randomBytes(256 * 1024)), new Uint8Array(0)]
    const digests = await Promise.all(pieces.map(async p => await hasher.sha256(p)))
    digests.forEach((digest, i) => { assert.deepEqual(new Uint8Array(digest), sha(pieces[i])) })
  })

  it('leaves the piece it was given unchanged and usable', async () => {
    const piece = randomBytes(128 * 1024)
    const copy = Uint8Array.from(piece)
    await new PieceHasher().sha256(piece)
    assert.deepEqual(new Uint8Array(piece), copy)
  })
})
