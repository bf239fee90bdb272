import { Worker } from 'node:worker_threads'
import type { Uint8ArrayList } from 'uint8arraylist'
import { sha256 } from './manifest.ts'

/**
 * From this size on a piece is hashed on a worker thread: SHA-256 of 256 KiB takes about a
 * fifth of a millisecond, as long as the rest of receiving it, and on a machine with a spare
 * core the event loop goes on decrypting the next piece meanwhile. Below it handing a piece
 * over costs more than it saves.
 */
const OFF_THREAD_BYTES = 64 * 1024

/** Spare buffers the worker keeps ready for the event loop, at most. */
const MAX_SPARES = 8

// The worker hashes a piece it is handed, then hands it back: the joined bytes move between the
// threads (transferred, not copied or shared). With it, when asked, comes a spare buffer of the
// same size with every page already touched: a kept piece needs fresh memory, and faulting in
// 256 KiB of new pages cost the event loop about as much as hashing them (a shared buffer cost
// more still: zeroed fresh pages, and a slower post).
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads')
const { createHash } = require('node:crypto')
parentPort.on('message', ({ id, bytes, spare }) => {
  const digest = new Uint8Array(createHash('sha256').update(bytes).digest())
  if (!spare) return parentPort.postMessage({ id, digest, bytes }, [bytes.buffer])
  const fresh = Buffer.allocUnsafeSlow(bytes.byteLength).fill(0)
  parentPort.postMessage({ id, digest, bytes, spare: fresh }, [bytes.buffer, fresh.buffer])
})
`

/** A piece's bytes, contiguous, and their SHA-256. */
export interface HashedPiece {
  digest: Uint8Array
  bytes: Uint8Array
}

/**
 * SHA-256 of pieces, large ones on one worker thread shared by every download of the process
 * (started on first use; it keeps no process alive while idle). A piece may be given as the
 * chunks it arrived in: it comes back joined. Should the worker fail, the pieces in hand are
 * hashed here instead and the next ones go to a new worker.
 */
export class PieceHasher {
  #worker: Worker | undefined
  /** pieces with the worker, and the chunks they were joined from, for when it fails */
  readonly #pending = new Map<number, { data: Uint8Array | Uint8ArrayList, resolve: (piece: HashedPiece) => void }>()
  /** pre-faulted buffers from the worker, each the size of the piece it was asked with */
  #spares: Array<Uint8Array<ArrayBuffer>> = []
  #asked = 0
  #online = false
  #next = 0

  /**
   * The bytes of `data`, contiguous, and their SHA-256. A large piece is joined (the one copy
   * of its bytes) into a buffer of its own, which travels to the worker and back: what comes
   * back is that buffer, and `data` is left as it was.
   */
  async hash (data: Uint8Array | Uint8ArrayList): Promise<HashedPiece> {
    const worker = data.byteLength < OFF_THREAD_BYTES ? undefined : this.#start()
    // until the worker is up (50 ms or more, more under load), pieces are hashed here: waiting
    // for it stalled the first download of a process
    if (worker == null || !this.#online) return here(data instanceof Uint8Array ? data : data.subarray())
    // a buffer of its own (not a slice of a pool, or transferring it would take its
    // neighbours), not zeroed: every byte is written next
    const bytes = this.#spare(data.byteLength) ?? Buffer.allocUnsafeSlow(data.byteLength)
    const spare = this.#spares.length + this.#asked < MAX_SPARES
    if (spare) this.#asked++
    if (data instanceof Uint8Array) bytes.set(data)
    else {
      let at = 0
      for (const chunk of data) {
        bytes.set(chunk, at)
        at += chunk.byteLength
      }
    }
    const id = this.#next++
    return await new Promise(resolve => {
      this.#pending.set(id, { data, resolve })
      if (this.#pending.size === 1) worker.ref()
      worker.postMessage({ id, bytes, spare }, [bytes.buffer])
    })
  }

  /**
   * A spare buffer of exactly `size` bytes, if one came back. Spares take the size of the piece
   * they were asked with, so a file's short last piece (or another file's pieces: downloads share
   * the hasher) brings back one of another size; when none fits, the others go, so that spares of
   * the size now in use are asked for again.
   */
  #spare (size: number): Uint8Array<ArrayBuffer> | undefined {
    const at = this.#spares.findIndex(spare => spare.byteLength === size)
    if (at === -1) {
      this.#spares = []
      return undefined
    }
    return this.#spares.splice(at, 1)[0]
  }

  #start (): Worker | undefined {
    if (this.#worker != null) return this.#worker
    let worker: Worker
    try {
      worker = new Worker(WORKER_SOURCE, { eval: true })
    } catch {
      return undefined
    }
    worker.once('online', () => { if (this.#worker === worker) this.#online = true })
    worker.on('message', ({ id, digest, bytes, spare }: { id: number, digest: Uint8Array, bytes: Uint8Array, spare?: Uint8Array<ArrayBuffer> }) => {
      if (spare != null) {
        this.#asked--
        if (spare.byteLength === bytes.byteLength) this.#spares.push(spare)
      }
      const job = this.#pending.get(id)
      if (job == null) return
      this.#pending.delete(id)
      if (this.#pending.size === 0) worker.unref()
      job.resolve({ digest, bytes })
    })
    const fail = (): void => {
      if (this.#worker !== worker) return
      this.#worker = undefined
      this.#online = false
      this.#asked = 0
      // what the worker had not answered is joined again and hashed here (the joined copy went)
      for (const job of this.#pending.values()) job.resolve(here(job.data instanceof Uint8Array ? job.data : job.data.subarray()))
      this.#pending.clear()
    }
    worker.on('error', fail)
    worker.on('exit', fail)
    // after the listeners: adding a 'message' listener refs the worker's port again
    worker.unref()
    this.#worker = worker
    return worker
  }
}

function here (bytes: Uint8Array): HashedPiece {
  return { digest: sha256(bytes), bytes }
}

/** The hasher every download of this process shares. */
export const pieceHasher = new PieceHasher()
