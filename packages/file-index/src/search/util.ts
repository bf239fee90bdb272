/**
 * Small pieces the three backends share: the per-peer rate limiter, a concurrency limit,
 * one-frame request/response over a stream, and the merge of answers into results.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { boundedLength } from '@hearsay/sansio'
import { lpStream } from '@libp2p/utils'
import type { Clock, InfractionName, PeerKey } from '@hearsay/interface'
import type { PeerId, Stream } from '@libp2p/interface'
import type { Uint8ArrayList } from 'uint8arraylist'
import type { WireEntry } from './wire.ts'

/**
 * A token bucket per peer: `perSecond` requests a second on average, bursts of `burst`.
 * Remembers at most `maxPeers` peers (the least recently seen are forgotten).
 */
export class PeerRateLimiter {
  readonly #buckets = new Map<PeerKey, { tokens: number, at: number }>()
  readonly #clock: Clock
  readonly #perSecond: number
  readonly #burst: number
  readonly #maxPeers: number

  constructor (clock: Clock, perSecond: number, burst = Math.max(1, perSecond * 2), maxPeers = 10_000) {
    this.#clock = clock
    this.#perSecond = perSecond
    this.#burst = burst
    this.#maxPeers = maxPeers
  }

  /** Take one token for `peer`; `false` when it has none left. */
  take (peer: PeerKey): boolean {
    const now = this.#clock.now()
    const bucket = this.#buckets.get(peer) ?? { tokens: this.#burst, at: now }
    bucket.tokens = Math.min(this.#burst, bucket.tokens + Math.max(0, now - bucket.at) * this.#perSecond / 1000)
    bucket.at = now
    this.#buckets.delete(peer)
    this.#buckets.set(peer, bucket)
    if (this.#buckets.size > this.#maxPeers) {
      const oldest = this.#buckets.keys().next().value
      if (oldest != null) this.#buckets.delete(oldest)
    }
    if (bucket.tokens < 1) return false
    bucket.tokens -= 1
    return true
  }
}

/** Run at most `concurrency` of the pushed tasks at once; `idle()` resolves when all are done. */
export class TaskLimit {
  readonly #concurrency: number
  readonly #queue: Array<() => Promise<void>> = []
  #running = 0
  #waiters: Array<() => void> = []

  constructor (concurrency: number) {
    this.#concurrency = Math.max(1, Math.floor(concurrency))
  }

  push (task: () => Promise<void>): void {
    this.#queue.push(task)
    this.#next()
  }

  async idle (): Promise<void> {
    if (this.#running === 0 && this.#queue.length === 0) return
    await new Promise<void>(resolve => { this.#waiters.push(resolve) })
  }

  #next (): void {
    while (this.#running < this.#concurrency && this.#queue.length > 0) {
      const task = this.#queue.shift() as () => Promise<void>
      this.#running++
      void task().catch(() => {}).finally(() => {
        this.#running--
        this.#next()
        if (this.#running === 0 && this.#queue.length === 0) {
          for (const resolve of this.#waiters.splice(0)) resolve()
        }
      })
    }
  }
}

/** The infraction a failed length-prefixed read stands for, if the peer is to blame. */
export function readInfraction (err: any): InfractionName | undefined {
  const name = String(err?.name ?? '')
  if (name === 'InvalidDataLengthError' || name === 'InvalidDataLengthLengthError' || name === 'StreamBufferError') return 'oversized-frame'
  if (name === 'InvalidMessageLengthError') return 'malformed-frame'
  return undefined
}

/** Thrown by {@link exchange} and {@link readOne} when the peer's frame is bad; names the infraction. */
export class FrameError extends Error {
  readonly infraction: InfractionName
  constructor (infraction: InfractionName, detail: string) {
    super(detail)
    this.name = 'FrameError'
    this.infraction = infraction
  }
}

/** `lpStream` bounded on every length it reads: prefix, frame and buffer. */
function boundedLpStream (stream: Stream, maxBytes: number): ReturnType<typeof lpStream> {
  return lpStream(stream, { maxDataLength: maxBytes, maxBufferSize: maxBytes + 16, lengthDecoder: boundedLength(maxBytes) })
}

/**
 * Read one length-prefixed frame of at most `maxBytes`; a bad length, or a stream the peer
 * closed before one whole frame (honest peers write a request in one go), throws a {@link FrameError}.
 */
export async function readOne (stream: Stream, maxBytes: number, signal: AbortSignal): Promise<{ bytes: Uint8ArrayList, lp: ReturnType<typeof lpStream> }> {
  const lp = boundedLpStream(stream, maxBytes)
  try {
    return { bytes: await lp.read({ signal }), lp }
  } catch (err: any) {
    const infraction = readInfraction(err) ?? (err?.name === 'UnexpectedEOFError' ? 'malformed-frame' : undefined)
    if (infraction != null) throw new FrameError(infraction, `frame over ${maxBytes} bytes, truncated or unreadable: ${err?.message ?? err}`)
    throw err
  }
}

/** Write one frame, read one answer, close. The caller decodes the answer. */
export async function exchange (stream: Stream, request: Uint8Array, maxBytes: number, signal: AbortSignal): Promise<Uint8ArrayList> {
  const lp = boundedLpStream(stream, maxBytes)
  await lp.write(request, { signal })
  let bytes: Uint8ArrayList
  try {
    bytes = await lp.read({ signal })
  } catch (err: any) {
    const infraction = readInfraction(err)
    if (infraction != null) throw new FrameError(infraction, `answer over ${maxBytes} bytes or unreadable: ${err?.message ?? err}`)
    throw err
  }
  await stream.close({ signal }).catch(() => {})
  return bytes
}

interface Merged {
  entry: WireEntry
  peers: Set<PeerKey>
  /** A count told by a central index, which may exceed the peers it listed. */
  told: number
}

/** One search hit, as `files.search` ({@link FileIndex.search}) returns it. */
export interface MergedResult {
  id: string
  name: string
  size: number
  providers: number
  peers: PeerId[]
}

/** Answers merged by file id: each file once, with the distinct peers that have it. */
export class ResultMerger {
  readonly #files = new Map<string, Merged>()
  readonly #maxFiles: number

  constructor (maxFiles: number) {
    this.#maxFiles = maxFiles
  }

  get size (): number {
    return this.#files.size
  }

  /** `peer` has `entry`; `told` is a provider count reported for it by an index. */
  add (entry: WireEntry, peer: PeerKey | undefined, told = 0): void {
    let merged = this.#files.get(entry.id)
    if (merged == null) {
      // a malicious answerer could flood distinct ids; keep what we have past the bound
      if (this.#files.size >= this.#maxFiles) return
      merged = { entry, peers: new Set(), told: 0 }
      this.#files.set(entry.id, merged)
    }
    if (peer != null) merged.peers.add(peer)
    merged.told = Math.max(merged.told, told)
  }

  /** Most providers first (then by name), at most `limit`, with up to `maxPeers` peer ids each. */
  results (limit: number, maxPeers: number): MergedResult[] {
    const out: MergedResult[] = []
    for (const { entry, peers, told } of this.#files.values()) {
      const ids: PeerId[] = []
      for (const key of peers) {
        if (ids.length >= maxPeers) break
        try {
          ids.push(peerIdFromString(key))
        } catch {
          // checked before it was added; a bad one is skipped rather than failing the search
        }
      }
      const providers = Math.max(peers.size, told)
      if (providers === 0) continue
      out.push({ id: entry.id, name: entry.name, size: entry.size, providers, peers: ids })
    }
    out.sort((a, b) => b.providers - a.providers || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    return out.slice(0, limit)
  }
}
