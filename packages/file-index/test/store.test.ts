import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Uint8ArrayList } from 'uint8arraylist'
import { sha256 } from '../dist/manifest.js'
import { FileStore } from '../dist/store.js'

describe('file store', () => {
  const piece = Uint8Array.from({ length: 70_000 }, (_, i) => (i * 7) % 251)
  const hash = sha256(piece)
  const chunks = (): Uint8Array[] => [piece.subarray(0, 5), piece.subarray(5, 65_536), piece.subarray(65_536)]

  it('keeps a piece in memory as the very chunks it arrived in, and a second put of it changes nothing', async () => {
    const store = new FileStore()
    await store.open()
    const arrived = chunks()
    await Promise.all([store.putPiece(hash, new Uint8ArrayList(...arrived)), store.putPiece(hash, piece)])
    assert.ok(await store.hasPiece(hash))
    const held = await store.getPiece(hash)
    assert.deepEqual(held.subarray(), piece)
    await store.deletePiece(hash)
    assert.equal(await store.hasPiece(hash), false)
    await store.putPiece(hash, new Uint8ArrayList(...arrived))
    // not joined, not copied: the same buffers come back
    assert.ok([...await store.getPiece(hash)].every((chunk, i) => chunk === arrived[i]))
    await store.close()
  })

  it('writes a piece to disk whole when two downloads store it at once', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hearsay-store-'))
    try {
      const store = new FileStore(dir)
      await store.open()
      await Promise.all([store.putPiece(hash, new Uint8ArrayList(...chunks())), store.putPiece(hash, new Uint8ArrayList(...chunks()))])
      assert.deepEqual((await store.getPiece(hash)).subarray(), piece)
      await store.close()
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
