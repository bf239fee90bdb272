import { randomBytes } from 'node:crypto'
import { open, rename, rm, stat } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { CustomProgressEvent } from 'progress-events'
import { Bitfield } from './bitfield.ts'
import { FileIndexError } from './errors.ts'
import { equals } from 'uint8arrays'
import { LocalFileState } from './local.ts'
import { choosePieceSize, decodeManifest, encodeManifest, manifestCid, parseFileId, pieceCount, sha256, type FileManifest } from './manifest.ts'
import { FileStore } from './store.ts'
import type { AddOptions, LocalFile } from './types.ts'
import type { Logger } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'
import type { Uint8ArrayList } from 'uint8arraylist'

/**
 * The local library: the files this node holds, their manifests and pieces in the store.
 * It adds, reads, verifies, removes and writes out files, and finds them again at start-up;
 * it knows nothing of the network (providing, search and transfers are the service's).
 */
export class Library {
  /** The manifests and pieces on disk (or in memory). */
  readonly store: FileStore
  readonly #files = new Map<string, LocalFileState>()
  readonly #log: Logger
  readonly #pieceSize: number | undefined

  /**
   * A library over a store in `dataDir` (in memory without one).
   *
   * @param dataDir - where the store keeps its files
   * @param log - for damaged manifests and failed writes
   * @param pieceSize - the default piece size of added files (chosen from the size otherwise)
   */
  constructor (dataDir: string | undefined, log: Logger, pieceSize?: number) {
    this.store = new FileStore(dataDir)
    this.#log = log
    this.#pieceSize = pieceSize
  }

  /** Open the store and find every file in it again, with the pieces it still holds. */
  async open (): Promise<void> {
    await this.store.open()
    for await (const { id, bytes } of this.store.manifests()) {
      let manifest: FileManifest
      try {
        manifest = decodeManifest(bytes, id)
      } catch (err: any) {
        this.#log.error('dropping the damaged manifest %s: %s', id, err?.message ?? err)
        await this.store.deleteManifest(id).catch(() => {})
        continue
      }
      const have = new Bitfield(manifest.pieces.length)
      for (let i = 0; i < manifest.pieces.length; i += 64) {
        const batch = manifest.pieces.slice(i, i + 64)
        const held = await Promise.all(batch.map(async hash => await this.store.hasPiece(hash)))
        held.forEach((h, k) => { if (h) have.set(i + k) })
      }
      this.#files.set(id.toString(), new LocalFileState(id, manifest, bytes, have))
    }
  }

  /** Close the store. */
  async close (): Promise<void> {
    await this.store.close()
  }

  /** The file with id `id` (a CID string), complete or not. */
  file (id: string): LocalFileState | undefined {
    return this.#files.get(id)
  }

  /** Every file held, complete or not. */
  files (): LocalFileState[] {
    return [...this.#files.values()]
  }

  /** What {@link FileIndex.list} shows of every file. */
  list (): LocalFile[] {
    return this.files().map(file => ({
      id: file.id,
      name: file.manifest.name,
      size: file.manifest.size,
      pieceSize: file.manifest.pieceSize,
      pieces: file.manifest.pieces.length,
      piecesHave: file.have.count,
      complete: file.complete
    }))
  }

  /** Split a file (a path, read piece by piece, or bytes) into pieces, store it, and return it complete. */
  async add (pathOrBytes: string | Uint8Array, options: AddOptions = {}): Promise<LocalFileState> {
    const signal = options.signal
    signal?.throwIfAborted()
    let size: number
    let name: string
    let read: (offset: number, length: number) => Promise<Uint8Array>
    let close = async (): Promise<void> => {}
    if (typeof pathOrBytes === 'string') {
      const handle = await open(pathOrBytes, 'r')
      close = async () => { await handle.close() }
      size = (await handle.stat()).size
      name = options.name ?? basename(pathOrBytes)
      read = async (offset, length) => {
        const buffer = new Uint8Array(length)
        let got = 0
        while (got < length) {
          const { bytesRead } = await handle.read(buffer, got, length - got, offset + got)
          if (bytesRead === 0) throw new FileIndexError(`${pathOrBytes} shrank while being added`)
          got += bytesRead
        }
        return buffer
      }
    } else if (pathOrBytes instanceof Uint8Array) {
      size = pathOrBytes.byteLength
      name = options.name ?? ''
      read = async (offset, length) => await Promise.resolve(pathOrBytes.subarray(offset, offset + length))
    } else {
      throw new FileIndexError('add takes a path or a Uint8Array')
    }
    try {
      const pieceSize = choosePieceSize(size, options.pieceSize ?? this.#pieceSize)
      const count = pieceCount(size, pieceSize)
      const pieces: Uint8Array[] = []
      const writes: Array<Promise<void>> = []
      for (let i = 0; i < count; i++) {
        signal?.throwIfAborted()
        const offset = i * pieceSize
        const bytes = await read(offset, Math.min(pieceSize, size - offset))
        const hash = sha256(bytes)
        pieces.push(hash)
        writes.push(this.store.putPiece(hash, bytes))
        if (writes.length >= 16) await Promise.all(writes.splice(0))
        options.onProgress?.(new CustomProgressEvent('files:add:progress', { bytes: offset + bytes.byteLength, size, pieces: i + 1 }))
      }
      await Promise.all(writes)
      const manifest: FileManifest = { name, size, pieceSize, pieces }
      const manifestBytes = encodeManifest(manifest)
      const cid = manifestCid(manifestBytes)
      await this.store.putManifest(cid, manifestBytes)
      const file = this.#files.get(cid.toString()) ?? new LocalFileState(cid, manifest, manifestBytes, new Bitfield(count))
      this.#files.set(file.id, file)
      for (let i = 0; i < count; i++) file.stored(i)
      options.onProgress?.(new CustomProgressEvent('files:add:done', { id: file.id, name, size, pieces: count }))
      return file
    } finally {
      await close()
    }
  }

  /** Take in a file whose manifest just verified (a download's); its manifest is stored in the background. */
  adopt (cid: CID, manifest: FileManifest, bytes: Uint8Array): LocalFileState {
    const existing = this.#files.get(cid.toString())
    if (existing != null) return existing
    const file = new LocalFileState(cid, manifest, bytes, new Bitfield(manifest.pieces.length))
    this.#files.set(file.id, file)
    this.store.putManifest(cid, bytes).catch((err: any) => { this.#log.error('cannot store the manifest of %s: %s', file.id, err?.message ?? err) })
    return file
  }

  /** A complete file's bytes, every piece verified. */
  async cat (id: string, options: { signal?: AbortSignal } = {}): Promise<Uint8Array> {
    const file = this.#files.get(parseFileId(id).toString())
    if (file?.complete !== true) throw new FileIndexError(`${id} is not complete here; get() it first`)
    const out = new Uint8Array(file.manifest.size)
    for (let i = 0; i < file.manifest.pieces.length; i++) {
      options.signal?.throwIfAborted()
      const piece = await this.#verifiedPiece(file, i)
      if (piece == null) throw new FileIndexError(`piece ${i} of ${id} is damaged on disk and was dropped; get() the file again`)
      let at = i * file.manifest.pieceSize
      for (const chunk of piece) {
        out.set(chunk, at)
        at += chunk.byteLength
      }
    }
    return out
  }

  /** Forget a file and delete its manifest and the pieces no other file shares; returns it, if it was here. */
  async remove (id: string): Promise<LocalFileState | undefined> {
    const cid = parseFileId(id)
    const file = this.#files.get(cid.toString())
    if (file == null) return undefined
    this.#files.delete(file.id)
    const shared = new Set<string>()
    for (const other of this.#files.values()) for (const hash of other.manifest.pieces) shared.add(hex(hash))
    for (const hash of file.manifest.pieces) {
      if (!shared.has(hex(hash))) await this.store.deletePiece(hash).catch(() => {})
    }
    await this.store.deleteManifest(cid).catch(() => {})
    return file
  }

  /**
   * Write a complete file to `out` through a temporary file in the same directory, re-hashing
   * every piece on the way; rename it into place only when all verified. Returns how many
   * pieces failed (dropped from the store, to fetch again).
   */
  async writeOut (file: LocalFileState, out: string, signal?: AbortSignal): Promise<number> {
    const temp = join(dirname(out), `.${basename(out)}.${randomBytes(6).toString('hex')}.tmp`)
    const handle = await open(temp, 'w')
    let bad = 0
    let renamed = false
    try {
      let position = 0
      for (let i = 0; i < file.manifest.pieces.length; i++) {
        signal?.throwIfAborted()
        const piece = await this.#verifiedPiece(file, i)
        if (piece == null) {
          bad++
          continue
        }
        if (bad === 0) {
          let at = position
          for (const chunk of piece) {
            let written = 0
            while (written < chunk.byteLength) {
              const { bytesWritten } = await handle.write(chunk, written, chunk.byteLength - written, at + written)
              written += bytesWritten
            }
            at += chunk.byteLength
          }
        }
        position += piece.byteLength
      }
      if (bad === 0) {
        await handle.sync()
        await handle.close()
        await rename(temp, out)
        renamed = true
        if ((await stat(out)).size !== file.manifest.size) throw new FileIndexError(`${out} has the wrong size after writing`)
      }
      return bad
    } finally {
      if (!renamed) {
        await handle.close().catch(() => {})
        await rm(temp, { force: true })
      }
    }
  }

  async #verifiedPiece (file: LocalFileState, index: number): Promise<Uint8ArrayList | undefined> {
    const piece = await file.readPiece(this.store, index)
    if (piece == null) return undefined
    if (!equals(sha256(piece), file.manifest.pieces[index])) {
      file.have.clear(index)
      await this.store.deletePiece(file.manifest.pieces[index]).catch(() => {})
      return undefined
    }
    return piece
  }
}

function hex (bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
}
