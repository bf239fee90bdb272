/**
 * The parent's side of {@link ./files-peer.ts}: start a `files` bench host in a child process,
 * send it commands and await the answers; and the bench's file bytes, which every process
 * derives from one seed instead of passing 128 MiB through a pipe.
 *
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createCipheriv, createHash } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { createInterface } from 'node:readline'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import type { Host } from '@hearsay/host'

/** The protocol of the raw single-stream measurement. */
export const RAW_PROTOCOL = '/hearsay/bench-raw/1.0.0'

/** What a child host is started with (one JSON argument). */
export interface FilesPeerArgs {
  /** loopback address it listens on and dials from */
  ip: string
  /** its upload throttle, if any */
  uploadBytesPerSecond?: number
}

/** A command to a child host; `id` comes back in the answer. */
export type FilesPeerCommand = { id: number } & (
  /** add {@link benchData}(seed, bytes) without providing it; answers `{ fileId }` */
  | { cmd: 'add', seed: string, bytes: number }
  /** push `bytes` on one raw stream to `addrs` (ending in /p2p/<id>); answers once all are sent */
  | { cmd: 'raw', addrs: string[], seed: string, bytes: number }
  /** answers `{ cpuMs }`: the CPU time (all threads) the process has used so far */
  | { cmd: 'usage' }
  | { cmd: 'stop' }
)

type Distribute<T> = T extends unknown ? Omit<T, 'id'> : never

/**
 * `bytes` pseudo-random bytes, the same in every process for the same `seed` (AES-CTR over
 * zeros: incompressible, and made at gigabytes per second).
 */
export function benchData (seed: string, bytes: number): Uint8Array {
  const key = createHash('sha256').update(seed).digest()
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16))
  return new Uint8Array(cipher.update(Buffer.alloc(bytes)))
}

/** What {@link receiveRaw}'s receiver does with the bytes besides counting them. */
export type RawReceipt = 'count' | 'hash' | 'keep'

/**
 * Take the next raw stream on `RAW_PROTOCOL` into `host` until `bytes` have arrived; resolves
 * with the MB/s from the stream's arrival (the sender's dial is not counted: the ceiling is not
 * made lower than it is). `'hash'` SHA-256es every `pieceBytes`, chunk by chunk as they arrived,
 * as a downloader verifies its pieces; `'keep'` also keeps those chunks until the end, as a
 * downloader with a memory store must. Written plainly, not as a floor: in the files bench the
 * download cost 0.93–1.02× what `'keep'` did. Call it before the sender starts.
 */
export async function receiveRaw (host: RawHost, bytes: number, receipt: RawReceipt = 'count', pieceBytes = 256 * 1024): Promise<() => Promise<number>> {
  let received = 0
  let started = 0
  let ended = 0
  let done!: () => void
  const finished = new Promise<void>(resolve => { done = resolve })
  const kept: Uint8Array[][] = []
  let piece: Uint8Array[] = []
  let pieceFill = 0
  const endPiece = (): void => {
    const sha = createHash('sha256')
    for (const c of piece) sha.update(c)
    sha.digest()
    if (receipt === 'keep') kept.push(piece)
    piece = []
    pieceFill = 0
  }
  const take = (chunk: Uint8Array): void => {
    while (chunk.byteLength > 0) {
      const part = chunk.subarray(0, pieceBytes - pieceFill)
      piece.push(part)
      pieceFill += part.byteLength
      chunk = chunk.subarray(part.byteLength)
      if (pieceFill === pieceBytes) endPiece()
    }
  }
  await host.unhandle(RAW_PROTOCOL)
  await host.handle(RAW_PROTOCOL, stream => {
    started = performance.now()
    stream.addEventListener('message', event => {
      received += event.data.byteLength
      if (receipt !== 'count') {
        for (const chunk of event.data instanceof Uint8Array ? [event.data] : event.data) take(chunk)
        // the last piece may be short
        if (received >= bytes && pieceFill > 0) endPiece()
      }
      if (received >= bytes && ended === 0) {
        ended = performance.now()
        done()
      }
    })
  })
  return async () => {
    await finished
    const ms = ended - started
    kept.length = 0
    return bytes / 1e6 / (ms / 1000)
  }
}

/**
 * V8's full garbage collection, callable without `--expose-gc` on the command line (the flag is
 * set at run time and `gc` read from a fresh context): run between measured parts, outside them,
 * so that no part pays for the garbage the one before it left.
 */
export function fullGc (): () => void {
  setFlagsFromString('--expose-gc')
  return runInNewContext('gc')
}

/** The part of a host {@link receiveRaw} needs. */
export type RawHost = Pick<Host, 'handle' | 'unhandle'>

const script = fileURLToPath(new URL('./files-peer.ts', import.meta.url))

/**
 * Wait until this process and every one of `peers` use under `maxCpu` of a core over `stepMs`
 * (at most `timeoutMs`): a host that has just connected spends a second or two on identify,
 * the DHT and peer exchange, and that bring-up is no part of the transfer being measured.
 * Resolves with the milliseconds waited.
 */
export async function settle (peers: FilesPeer[], { maxCpu = 0.05, stepMs = 250, timeoutMs = 10_000 } = {}): Promise<number> {
  const started = performance.now()
  while (performance.now() - started < timeoutMs) {
    const { result: elapsed, ownMs, peersMs } = await cpuDuring(peers, async () => {
      const t = performance.now()
      await new Promise(resolve => setTimeout(resolve, stepMs))
      return performance.now() - t
    })
    if (Math.max(ownMs, ...peersMs) / elapsed < maxCpu) break
  }
  return performance.now() - started
}

/** The CPU milliseconds (all threads) this process and each of `peers` use while `work` runs. */
export async function cpuDuring<T> (peers: FilesPeer[], work: () => Promise<T>): Promise<{ result: T, ownMs: number, peersMs: number[] }> {
  const usage = async (): Promise<number[]> => await Promise.all(peers.map(async p => (await p.call({ cmd: 'usage' })).cpuMs as number))
  const before = await usage()
  const own = process.cpuUsage()
  const result = await work()
  const used = process.cpuUsage(own)
  const after = await usage()
  return { result, ownMs: (used.user + used.system) / 1000, peersMs: after.map((ms, i) => ms - before[i]) }
}

/** A bench host running in a child process. */
export class FilesPeer {
  readonly peerId: string
  readonly addrs: string[]
  readonly #child: ChildProcess
  readonly #pending = new Map<number, { resolve: (reply: Record<string, any>) => void, reject: (err: Error) => void }>()
  readonly #exited: Promise<void>
  #next = 1

  private constructor (child: ChildProcess, ready: { peerId: string, addrs: string[] }, lines: AsyncIterator<string>, exited: Promise<void>) {
    this.#child = child
    this.peerId = ready.peerId
    this.addrs = ready.addrs
    this.#exited = exited
    void (async () => {
      for (;;) {
        const next = await lines.next()
        if (next.done === true) break
        let reply: { id?: number, error?: string }
        try {
          reply = JSON.parse(next.value)
        } catch {
          // not an answer (say, a runtime's diagnostic line)
          continue
        }
        if (reply.id == null) continue
        const waiter = this.#pending.get(reply.id)
        if (waiter == null) continue
        this.#pending.delete(reply.id)
        if (reply.error != null) waiter.reject(new Error(`files peer: ${reply.error}`))
        else waiter.resolve(reply)
      }
      for (const waiter of this.#pending.values()) waiter.reject(new Error('files peer exited'))
      this.#pending.clear()
    })()
  }

  /** Start a child host; resolves once it listens. */
  static async start (args: FilesPeerArgs, timeoutMs = 30_000): Promise<FilesPeer> {
    // with this process's runtime flags (--cpu-prof, --trace-gc…), so that a child is profiled alike
    const child = spawn(process.execPath, [...process.execArgv, script, JSON.stringify(args)], { stdio: ['pipe', 'pipe', 'inherit'] })
    const exited = new Promise<void>(resolve => { child.once('exit', () => { resolve() }) })
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]()
    let timer: NodeJS.Timeout | undefined
    try {
      const timeout = new Promise<never>((_resolve, reject) => { timer = setTimeout(() => { reject(new Error('files peer did not start in time')) }, timeoutMs) })
      const early = exited.then(() => { throw new Error('files peer exited before it was ready') })
      for (;;) {
        const line = await Promise.race([lines.next(), timeout, early])
        if (line.done === true) throw new Error('files peer exited before it was ready')
        if (!line.value.startsWith('{"ready"')) continue
        return new FilesPeer(child, JSON.parse(line.value), lines, exited)
      }
    } catch (err) {
      child.kill('SIGKILL')
      throw err
    } finally {
      clearTimeout(timer)
    }
  }

  /** Send a command and await its answer. */
  async call (command: Distribute<FilesPeerCommand>): Promise<Record<string, any>> {
    const id = this.#next++
    return await new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject })
      this.#child.stdin!.write(JSON.stringify({ ...command, id }) + '\n')
    })
  }

  /** Stop the host and wait for the process to exit (SIGKILL after `graceMs`). */
  async stop (graceMs = 5000): Promise<void> {
    if (this.#child.exitCode != null || this.#child.signalCode != null) return
    this.#child.stdin!.end()
    const timer = setTimeout(() => { this.#child.kill('SIGKILL') }, graceMs)
    await this.#exited
    clearTimeout(timer)
  }
}
