import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createHash, randomBytes } from 'node:crypto'
import { Uint8ArrayList } from 'uint8arraylist'
import { PieceHasher } from '@hearsay/file-index'

const sha = (bytes: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(bytes).digest())

describe('piece hasher', () => {
  it('hashes small pieces here and large ones on its worker, many at once, each to its own digest', async () => {
    const hasher = new PieceHasher()
    const pieces = [randomBytes(1000), ...Array.from({ length: 16 }, () => randomBytes(256 * 1024)), new Uint8Array(0)]
    const hashed = await Promise.all(pieces.map(async p => await hasher.hash(p)))
    hashed.forEach(({ digest, bytes }, i) => {
      assert.deepEqual(new Uint8Array(digest), sha(pieces[i]))
      assert.deepEqual(new Uint8Array(bytes), new Uint8Array(pieces[i]))
    })
  })

  it('joins a piece given as the chunks it arrived in, and leaves the chunks as they were', async () => {
    const piece = randomBytes(200 * 1024)
    const chunks = [piece.subarray(0, 65_000), piece.subarray(65_000, 130_000), piece.subarray(130_000)]
    const { digest, bytes } = await new PieceHasher().hash(new Uint8ArrayList(...chunks))
    assert.deepEqual(new Uint8Array(digest), sha(piece))
    assert.deepEqual(new Uint8Array(bytes), new Uint8Array(piece))
    assert.equal(chunks[1].byteLength, 65_000)
    assert.deepEqual(Buffer.concat(chunks), piece)
  })

  it('joins piece after piece into buffers of their own: the spare buffers of the worker are never handed out twice', async () => {
    const hasher = new PieceHasher()
    const held: Uint8Array[] = []
    // one after another, so that spares come back and are used; then a different size
    for (const size of [...Array.from({ length: 24 }, () => 256 * 1024), 100 * 1024, 100 * 1024]) {
      const piece = randomBytes(size)
      const { digest, bytes } = await hasher.hash(new Uint8ArrayList(piece.subarray(0, 70_000), piece.subarray(70_000)))
      assert.deepEqual(new Uint8Array(digest), sha(piece))
      assert.deepEqual(new Uint8Array(bytes), new Uint8Array(piece))
      held.push(bytes)
    }
    assert.equal(new Set(held.map(b => b.buffer)).size, held.length)
  })

  it('a short last piece brings back a spare of its size, and the next full piece never gets it (it threw "offset is out of bounds")', async () => {
    const hasher = new PieceHasher()
    const full = 256 * 1024
    // a file of 3 000 000 bytes in 256 KiB pieces ends in a 134 144-byte piece, still hashed on
    // the worker; a download hashes pieces concurrently, so the last piece's spare comes back
    // behind full-size ones, and the next full piece (another file, a resumed download) followed
    const short = 3_000_000 - 11 * full
    const check = async (size: number): Promise<void> => {
      const piece = randomBytes(size)
      const { digest, bytes } = await hasher.hash(piece)
      assert.equal(bytes.byteLength, size)
      assert.deepEqual(new Uint8Array(digest), sha(piece))
    }
    await check(full)
    // the worker starts on first use; until it is online pieces are hashed here, with no spares
    await new Promise(resolve => setTimeout(resolve, 1000))
    for (let round = 0; round < 6; round++) {
      await Promise.all([check(full), check(full), check(short)])
      await check(full)
    }
  })

  it('keeps no process alive: one that hashed pieces, here or on the worker, exits by itself', function () {
    // two child processes: a second or so each, more on a loaded machine
    this.timeout(30_000)
    const hasher = new URL('../dist/hasher.js', import.meta.url).href
    // a script file: node -e and stdin scripts end their process however many handles are open
    const dir = mkdtempSync(join(tmpdir(), 'hasher-exit-'))
    try {
      // before the worker is up (pieces hashed here), and once it is
      for (const wait of [0, 300]) {
        const script = join(dir, `wait-${wait}.mjs`)
        writeFileSync(script, `
          const { PieceHasher } = await import(${JSON.stringify(hasher)})
          const h = new PieceHasher()
          const piece = new Uint8Array(256 * 1024)
          await h.hash(piece)
          await new Promise(resolve => setTimeout(resolve, ${wait}))
          await Promise.all([h.hash(piece), h.hash(piece)])
        `)
        const run = spawnSync(process.execPath, [script], { timeout: 10_000 })
        assert.equal(run.status, 0, `waiting ${wait} ms: exit ${run.status} ${run.signal ?? ''} ${run.stderr?.toString() ?? ''}`)
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
