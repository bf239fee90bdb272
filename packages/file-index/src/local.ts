import { equals } from 'uint8arrays'
import { Bitfield } from './bitfield.ts'
import { pieceLength, sha256, type FileManifest } from './manifest.ts'
import type { FileStore } from './store.ts'
import type { CID } from 'multiformats/cid'
import type { Uint8ArrayList } from 'uint8arraylist'

/** A file the node knows: its manifest and the pieces it holds. */
export class LocalFileState {
  readonly cid: CID
  readonly id: string
  readonly manifest: FileManifest
  readonly manifestBytes: Uint8Array
  /** Pieces in the store. */
  readonly have: Bitfield
  /** Pieces whose stored bytes were hashed since this process started. */
  readonly checked: Bitfield
  /** Called with each piece newly stored (upload sessions announce it). */
  readonly listeners = new Set<(index: number) => void>()

  constructor (cid: CID, manifest: FileManifest, manifestBytes: Uint8Array, have: Bitfield) {
    this.cid = cid
    this.id = cid.toString()
    this.manifest = manifest
    this.manifestBytes = manifestBytes
    this.have = have
    this.checked = new Bitfield(manifest.pieces.length)
  }

  get complete (): boolean {
    return this.have.complete
  }

  pieceLength (index: number): number {
    return pieceLength(this.manifest, index)
  }

  /** Mark a piece stored (and checked), telling listeners. */
  stored (index: number): void {
    this.checked.set(index)
    if (this.have.set(index)) for (const listener of this.listeners) listener(index)
  }

  /**
   * Read a stored piece. The first read of a piece in a process's life re-hashes it, so a
   * block damaged on disk (say by a crash before the OS flushed it) is found, deleted and
   * reported missing (undefined) instead of being served or used. The piece comes as the chunks
   * the store holds it in.
   */
  async readPiece (store: FileStore, index: number): Promise<Uint8ArrayList | undefined> {
    if (!this.have.get(index)) return undefined
    const hash = this.manifest.pieces[index]
    let bytes: Uint8ArrayList
    try {
      bytes = await store.getPiece(hash)
    } catch {
      this.have.clear(index)
      return undefined
    }
    if (!this.checked.get(index)) {
      if (bytes.byteLength !== this.pieceLength(index) || !equals(sha256(bytes), hash)) {
        this.have.clear(index)
        await store.deletePiece(hash).catch(() => {})
        return undefined
      }
      this.checked.set(index)
    }
    return bytes
  }
}
