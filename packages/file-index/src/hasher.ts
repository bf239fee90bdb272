import { Worker } from 'node:worker_threads'
import { sha256 } from './manifest.ts'

/**
 * From this size on a piece is hashed on a worker thread: SHA-256 of 256 KiB takes about a
 * fifth of a millisecond, as long as the rest of receiving it, and on a machine with a spare
 * core the event loop goes on decrypting the next piece meanwhile. Handing a piece over (a
 * copy, a message each way) costs a fraction of that; below this size it costs more.
 */
const OFF_THREAD_BYTES = 64 * 1024

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads')
const { createHash } = require('node:crypto')
parentPort.on('message', ({ id, data }) => {
  parentPort.postMessage({ id, digest: createHash('sha256').update(data).digest() })
})
`

/**
 * SHA-256 of pieces, large ones on one worker thread shared by every download of the process
 * (started on first use; it keeps no process alive while idle). Should the worker fail, the
 * pieces in hand are hashed here instead and the next ones go to a new worker.
 */
export class PieceHasher {
  #worker: Worker | undefined
  readonly #pending = new Map<number, { data: Uint8Array, resolve: (digest: Uint8Array) => void }>()
  #next = 0

  /** SHA-256 of `data` (which must not change until this resolves). */
  async sha256 (data: Uint8Array): Promise<Uint8Array> {
    if (data.byteLength < OFF_THREAD_BYTES) return sha256(data)
    const worker = this.#start()
    if (worker == null) return sha256(data)
    const id = this.#next++
    return await new Promise(resolve => {
      this.#pending.set(id, { data, resolve })
      if (this.#pending.size === 1) worker.ref()
      // a structured clone: the piece stays ours, and the worker's copy is its own
      worker.postMessage({ id, data })
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
      job.resolve(new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength))
    })
    const fail = (): void => {
      if (this.#worker !== worker) return
      this.#worker = undefined
      // what the worker had not answered is hashed here
      for (const job of this.#pending.values()) job.resolve(sha256(job.data))
      this.#pending.clear()
    }
    worker.on('error', fail)
    worker.on('exit', fail)
    this.#worker = worker
    return worker
  }
}

/** The hasher every download of this process shares. */
export const pieceHasher = new PieceHasher()
