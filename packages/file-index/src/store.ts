import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { base32upper } from 'multiformats/bases/base32'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import * as Digest from 'multiformats/hashes/digest'
import { MemoryBlockstore } from 'blockstore-core'
import { FsBlockstore } from 'blockstore-fs'
import { Uint8ArrayList } from 'uint8arraylist'
import { pieceCid } from './manifest.ts'
import type { Blockstore } from 'interface-blockstore'

/**
 * Manifests and pieces as blocks: on disk under `<dataDir>/manifests` and `<dataDir>/pieces`
 * (`blockstore-fs`, which writes every block to a temporary file and renames it into place,
 * so a block is either absent or whole), in memory without a data directory. A piece is
 * keyed by its SHA-256, so it is only ever written after its hash verified; two writes of one
 * block on disk are serialized (steno's temporary file is per block).
 */
export class FileStore {
  readonly dataDir: string | undefined
  readonly #manifests: Blockstore
  readonly #pieces: Blockstore
  readonly #writing = new Map<string, Promise<void>>()

  constructor (dataDir?: string) {
    this.dataDir = dataDir
    if (dataDir == null) {
      this.#manifests = new MemoryBlockstore()
      this.#pieces = new MemoryBlockstore()
    } else {
      this.#manifests = new FsBlockstore(join(dataDir, 'manifests'))
      this.#pieces = new FsBlockstore(join(dataDir, 'pieces'))
    }
  }

  async open (): Promise<void> {
    if (this.#manifests instanceof FsBlockstore) await this.#manifests.open()
    if (this.#pieces instanceof FsBlockstore) await this.#pieces.open()
  }

  async close (): Promise<void> {
    await Promise.allSettled([...this.#writing.values()])
  }

  async putManifest (id: CID, bytes: Uint8Array): Promise<void> {
    await this.#serialized(this.#manifests, id, bytes)
  }

  async getManifest (id: CID): Promise<Uint8Array | undefined> {
    if (!await this.#manifests.has(id)) return undefined
    try {
      return await collect(this.#manifests.get(id))
    } catch {
      return undefined
    }
  }

  async deleteManifest (id: CID): Promise<void> {
    await this.#manifests.delete(id)
  }

  /** Every stored manifest. */
  async * manifests (): AsyncGenerator<{ id: CID, bytes: Uint8Array }> {
    if (this.dataDir == null) {
      for await (const pair of this.#manifests.getAll()) {
        yield { id: CID.createV1(raw.code, pair.cid.multihash), bytes: await collect(pair.bytes) }
      }
      return
    }
    // blockstore-fs names a block by its base32 multihash (its getAll cannot decode those names)
    const root = join(this.dataDir, 'manifests')
    for (const dir of await readdir(root, { withFileTypes: true })) {
      if (!dir.isDirectory()) continue
      for (const file of await readdir(join(root, dir.name))) {
        if (!file.endsWith('.data') || file.startsWith('.')) continue
        let id: CID
        try {
          id = CID.createV1(raw.code, Digest.decode(base32upper.decode(file.slice(0, -'.data'.length))))
        } catch {
          continue
        }
        const bytes = await this.getManifest(id)
        if (bytes != null) yield { id, bytes }
      }
    }
  }

  async hasPiece (hash: Uint8Array): Promise<boolean> {
    return await this.#pieces.has(pieceCid(hash))
  }

  /** A stored piece, as the chunks the store holds it in (never joined: a piece is sent, hashed and written out chunk by chunk). */
  async getPiece (hash: Uint8Array): Promise<Uint8ArrayList> {
    const list = new Uint8ArrayList()
    for await (const chunk of this.#pieces.get(pieceCid(hash))) list.append(chunk)
    return list
  }

  /** Store a piece whose hash the caller verified, as it is: the chunks it arrived in are kept, not joined. */
  async putPiece (hash: Uint8Array, bytes: Uint8Array | Uint8ArrayList): Promise<void> {
    const chunks = bytes instanceof Uint8Array ? bytes : [...bytes]
    // in memory a put is done when it returns, and a second one of a block only sets it again: no queue
    if (this.#pieces instanceof MemoryBlockstore) await this.#pieces.put(pieceCid(hash), chunks)
    else await this.#serialized(this.#pieces, pieceCid(hash), chunks)
  }

  async deletePiece (hash: Uint8Array): Promise<void> {
    await this.#pieces.delete(pieceCid(hash))
  }

  async #serialized (store: Blockstore, cid: CID, bytes: Uint8Array | Uint8Array[]): Promise<void> {
    const key = cid.toString()
    for (;;) {
      const pending = this.#writing.get(key)
      if (pending == null) break
      await pending.catch(() => {})
    }
    if (await store.has(cid)) return
    const write = (async () => { await store.put(cid, bytes) })()
    this.#writing.set(key, write)
    try {
      await write
    } finally {
      this.#writing.delete(key)
    }
  }
}

async function collect (source: Iterable<Uint8Array> | AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const list = new Uint8ArrayList()
  for await (const chunk of source) list.append(chunk)
  return list.subarray()
}
