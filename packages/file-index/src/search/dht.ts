/**
 * The `dht` backend: every keyword of every local file name is provided on the DHT as a
 * keyword CID; a search finds the providers of one keyword and asks each of them, over
 * `/hearsay/search/1.0.0`, for its files matching all the words.
 */
import { keywordCid, keywords, matches, rarestWord } from './keywords.ts'
import { ResultMerger, TaskLimit, serveSearch } from './util.ts'
import { QUERY_PROTOCOL, decodeQueryRequest, decodeQueryResponse, encodeQueryRequest, encodeQueryResponse, type WireEntry } from './wire.ts'
import type { BackendContext } from './context.ts'
import { PeerRateLimiter, type CancelTimer } from '@hearsay/sansio'
import { aborted, requestOnce } from '@hearsay/sansio/adapter'
import type { Connection, PeerId, Stream } from '@libp2p/interface'

/** Options of the dht backend. */
export interface DhtSearchOptions {
  /** Provide the keywords of local files on the DHT. @default true */
  provide?: boolean
  /**
   * Provide every keyword again this often, in ms (`0`: never). The DHT's own reprovider also
   * renews records; this covers content routers without one. @default 12 h
   */
  reprovideMs?: number
  /** Keyword provides running at once. @default 4 */
  provideConcurrency?: number
  /** Most providers asked per search. @default 20 */
  maxProviders?: number
  /** Providers asked at once. @default 8 */
  concurrency?: number
  /** Queries served per peer and second on `/hearsay/search/1.0.0` (bursts of twice that). @default 10 */
  maxQueriesPerSecond?: number
}

export const DHT_DEFAULTS: Readonly<Required<DhtSearchOptions>> = Object.freeze({
  provide: true,
  reprovideMs: 12 * 60 * 60_000,
  provideConcurrency: 4,
  maxProviders: 20,
  concurrency: 8,
  maxQueriesPerSecond: 10
})

/** First retry of a failed provide, doubling up to {@link RETRY_MAX_MS}. */
const RETRY_MIN_MS = 2_000
const RETRY_MAX_MS = 5 * 60_000
const PROVIDE_TIMEOUT_MS = 60_000
const SERVE_TIMEOUT_MS = 10_000

export class DhtSearch {
  readonly #ctx: BackendContext
  readonly #o: Required<DhtSearchOptions>
  readonly #rate: PeerRateLimiter
  /** Keyword → the local file ids it is provided for. */
  readonly #words = new Map<string, Set<string>>()
  /** File id → its keywords, to withdraw them when the file goes. */
  readonly #files = new Map<string, string[]>()
  readonly #pending = new Set<string>()
  readonly #retries = new Map<string, { delayMs: number, cancel: CancelTimer }>()
  readonly #providing: TaskLimit
  #reprovideTimer: CancelTimer | undefined
  #running = false

  constructor (ctx: BackendContext, options: DhtSearchOptions = {}) {
    this.#ctx = ctx
    this.#o = { ...DHT_DEFAULTS, ...options }
    this.#rate = new PeerRateLimiter(ctx.clock, this.#o.maxQueriesPerSecond)
    this.#providing = new TaskLimit(this.#o.provideConcurrency)
  }

  async start (): Promise<void> {
    this.#running = true
    await this.#ctx.registrar.handle(QUERY_PROTOCOL, (stream, connection) => { void this.#serve(stream, connection) }, {
      maxInboundStreams: 32,
      maxOutboundStreams: 64
    })
    for (const entry of this.#ctx.entries()) this.added(entry)
    this.#scheduleReprovide()
  }

  async stop (): Promise<void> {
    this.#running = false
    this.#reprovideTimer?.()
    for (const retry of this.#retries.values()) retry.cancel()
    this.#retries.clear()
    this.#pending.clear()
    await this.#ctx.registrar.unhandle(QUERY_PROTOCOL)
  }

  /** Resolves when no keyword provide is queued or running (failed ones may be retried later). */
  async idle (): Promise<void> {
    await this.#providing.idle()
  }

  /** Keywords currently provided (for tests and stats). */
  get providedWords (): string[] {
    return [...this.#words.keys()]
  }

  added (entry: WireEntry): void {
    if (!this.#o.provide) return
    const words = keywords(entry.name)
    const before = this.#files.get(entry.id)
    if (before != null) this.removed(entry.id)
    this.#files.set(entry.id, words)
    for (const word of words) {
      let ids = this.#words.get(word)
      if (ids == null) {
        this.#words.set(word, ids = new Set())
        this.#queueProvide(word)
      }
      ids.add(entry.id)
    }
  }

  removed (id: string): void {
    const words = this.#files.get(id)
    if (words == null) return
    this.#files.delete(id)
    for (const word of words) {
      const ids = this.#words.get(word)
      ids?.delete(id)
      if (ids?.size !== 0) continue
      this.#words.delete(word)
      this.#pending.delete(word)
      this.#retries.get(word)?.cancel()
      this.#retries.delete(word)
      void keywordCid(word)
        .then(async cid => { await this.#ctx.contentRouting.cancelReprovide(cid, { signal: this.#ctx.signal }) })
        .catch(err => { this.#ctx.log('could not stop reproviding "%s": %s', word, err?.message ?? err) })
    }
  }

  #queueProvide (word: string): void {
    if (!this.#running || this.#pending.has(word)) return
    this.#pending.add(word)
    this.#providing.push(async () => {
      if (!this.#pending.delete(word) || !this.#words.has(word) || !this.#running) return
      try {
        const cid = await keywordCid(word)
        const signal = AbortSignal.any([this.#ctx.signal, AbortSignal.timeout(PROVIDE_TIMEOUT_MS)])
        await this.#ctx.contentRouting.provide(cid, { signal })
        this.#retries.delete(word)
        this.#ctx.log('provided keyword "%s" as %s', word, cid)
      } catch (err: any) {
        if (!this.#running) return
        const delayMs = Math.min(RETRY_MAX_MS, (this.#retries.get(word)?.delayMs ?? RETRY_MIN_MS / 2) * 2)
        this.#ctx.log('providing keyword "%s" failed, again in %d ms: %s', word, delayMs, err?.message ?? err)
        const cancel = this.#ctx.clock.setTimeout(() => {
          if (this.#retries.get(word)?.cancel === cancel) this.#queueProvide(word)
        }, delayMs)
        this.#retries.set(word, { delayMs, cancel })
      }
    })
  }

  #scheduleReprovide (): void {
    if (!this.#running || this.#o.reprovideMs <= 0) return
    this.#reprovideTimer = this.#ctx.clock.setTimeout(() => {
      for (const word of this.#words.keys()) this.#queueProvide(word)
      this.#scheduleReprovide()
    }, this.#o.reprovideMs)
  }

  /** Find the providers of the query's rarest keyword and ask each for its matching files. */
  async search (words: string[], limit: number, merger: ResultMerger, signal: AbortSignal): Promise<void> {
    const word = rarestWord(words)
    if (word == null) return
    const cid = await keywordCid(word)
    const asks = new TaskLimit(this.#o.concurrency)
    const asked = new Set<string>([this.#ctx.selfKey])
    try {
      for await (const provider of this.#ctx.contentRouting.findProviders(cid, { signal })) {
        const key = provider.id.toString()
        if (asked.has(key)) continue
        asked.add(key)
        asks.push(async () => { await this.#ask(provider.id, words, limit, merger, signal) })
        if (asked.size > this.#o.maxProviders) break
      }
    } catch (err: any) {
      if (signal.aborted) throw err
      // no providers found, or no peers to ask: whatever was asked still counts
      this.#ctx.log('finding providers of "%s" failed: %s', word, err?.message ?? err)
    }
    await Promise.race([asks.idle(), aborted(signal)])
  }

  async #ask (peer: PeerId, words: string[], limit: number, merger: ResultMerger, signal: AbortSignal): Promise<void> {
    try {
      const answer = await requestOnce(async () => await this.#ctx.connectionManager.openStream(peer, QUERY_PROTOCOL, { signal }), encodeQueryRequest(words, limit), {
        maxBytes: this.#ctx.limits.maxFrameBytes,
        signal,
        decode: bytes => decodeQueryResponse(bytes, this.#ctx.limits),
        report: (infraction, detail) => { this.#ctx.report(peer, infraction, detail) }
      })
      if (answer == null) return
      const wrong = answer.filter(entry => !matches(entry.name, words))
      if (wrong.length > 0 || answer.length > limit) {
        this.#ctx.report(peer, 'invalid-message', `${wrong.length} answer(s) not matching the query, ${answer.length} for a limit of ${limit}`)
      }
      let good = 0
      for (const entry of answer.slice(0, limit)) {
        if (!matches(entry.name, words)) continue
        merger.add(entry, peer.toString())
        good++
      }
      if (good > 0) this.#ctx.credit(peer, 'search-answer')
    } catch (err: any) {
      this.#ctx.log('asking %p for "%s" failed: %s', peer, words.join(' '), err?.message ?? err)
    }
  }

  /** Answer one query: one frame in, the matching local files out. */
  async #serve (stream: Stream, connection: Connection): Promise<void> {
    await serveSearch(this.#ctx, this.#running, stream, connection, {
      what: 'a search',
      rate: this.#rate,
      maxBytes: this.#ctx.limits.maxFrameBytes,
      timeoutMs: SERVE_TIMEOUT_MS,
      decode: bytes => decodeQueryRequest(bytes, this.#ctx.limits),
      answer: request => encodeQueryResponse(this.#ctx.match(request.words, request.limit))
    })
  }

}
