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

// the worker hashes a piece in memory it shares with the event loop: no copy, no serializing
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads')
const { createHash } = require('node:crypto')
parentPort.on('message', ({ id, bytes }) => {
  parentPort.postMessage({ id, digest: new Uint8Array(createHash('sha256').update(bytes).digest()) })
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
  readonly #pending = new Map<number, { bytes: Uint8Array, resolve: (piece: HashedPiece) => void }>()
  #next = 0

  /**
   * The bytes of `data`, contiguous, and their SHA-256. A large piece is joined (the one copy
   * of its bytes) into memory shared with the worker, which is what comes back: its bytes may
   * live in a `SharedArrayBuffer`.
   */
  async hash (data: Uint8Array | Uint8ArrayList): Promise<HashedPiece> {
    const worker = data.byteLength < OFF_THREAD_BYTES ? undefined : this.#start()
    if (worker == null) return here(data instanceof Uint8Array ? data : data.subarray())
    const bytes = new Uint8Array(new SharedArrayBuffer(data.byteLength))
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
      this.#pending.set(id, { bytes, resolve })
      if (this.#pending.size === 1) worker.ref()
      worker.postMessage({ id, bytes })
    })
  }

  #start (): Worker | undefined {
    if (this.#worker != null) return this.#worker
    let worker: Worker
    try {
      worker = new Worker(WORKER_SOURCE, { eval: true })
    } catch {
      return undefined
    }
    worker.unref()
    worker.on('message', ({ id, digest }: { id: number, digest: Uint8Array }) => {
      const job = this.#pending.get(id)
      if (job == null) return
      this.#pending.delete(id)
      if (this.#pending.size === 0) worker.unref()
      job.resolve({ digest, bytes: job.bytes })
    })
    const fail = (): void => {
      if (this.#worker !== worker) return
      this.#worker = undefined
      // what the worker had not answered is hashed here
      for (const job of this.#pending.values()) job.resolve(here(job.bytes))
      this.#pending.clear()
    }
    worker.on('error', fail)
    worker.on('exit', fail)
    this.#worker = worker
    return worker
  }
}

function here (bytes: Uint8Array): HashedPiece {
  return { digest: sha256(bytes), bytes }
}

/** The hasher every download of this process shares. */
export const pieceHasher = new PieceHasher()
