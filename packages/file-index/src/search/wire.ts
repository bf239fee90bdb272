/**
 * The three search protocols' frames: bounds on every variable-length part, and decoders that
 * never throw (bad input comes back as the infraction to report).
 */
import { FloodFrame, IndexRequest, IndexResponse, QueryRequest, QueryResponse, type SearchEntry, type SearchHit } from './pb/search.ts'
import { MAX_KEYWORD_LENGTH } from './keywords.ts'
import { undecodable } from '@hearsay/sansio'
import type { Decoded } from '@hearsay/interface'
import type { Uint8ArrayList } from 'uint8arraylist'

/** The dht backend's query protocol: ask a keyword's provider for its matching files. */
export const QUERY_PROTOCOL = '/hearsay/search/1.0.0'
/** The flood backend's protocol: Gnutella-style queries and hits. */
export const FLOOD_PROTOCOL = '/hearsay/search-flood/1.0.0'
/** The central index's protocol: register, unregister, search. */
export const INDEX_PROTOCOL = '/hearsay/index/1.0.0'

/** Bounds on every frame of the search protocols. */
export interface SearchWireLimits {
  /** Most words in a query. @default 16 */
  maxWords: number
  /** Longest query word, in UTF-8 bytes. @default 256 (64 characters of up to 4 bytes) */
  maxWordBytes: number
  /** Longest file name, in UTF-8 bytes. @default 1024 */
  maxNameBytes: number
  /** Longest file id, in bytes. @default 128 */
  maxIdBytes: number
  /** Most entries in a query answer or a flood hit. @default 100 */
  maxEntriesPerFrame: number
  /** Most entries in one register frame to the central index. @default 1000 */
  maxRegisterEntries: number
  /** Most ids in one unregister frame. @default 1000 */
  maxUnregisterIds: number
  /** Most results in a central index answer (and of a search). @default 1000 */
  maxResults: number
  /** Most provider peer ids with one central index result. @default 20 */
  maxPeersPerHit: number
  /** Longest peer id string. @default 128 */
  maxPeerIdBytes: number
  /** Largest frame on the query and flood protocols, in bytes. @default 256 KiB */
  maxFrameBytes: number
  /** Largest frame on the index protocol, in bytes. @default 2 MiB */
  maxIndexFrameBytes: number
}

/** Defaults of {@link SearchWireLimits}. */
export const SEARCH_WIRE_LIMITS: Readonly<SearchWireLimits> = Object.freeze({
  maxWords: 16,
  maxWordBytes: MAX_KEYWORD_LENGTH * 4,
  maxNameBytes: 1024,
  maxIdBytes: 128,
  maxEntriesPerFrame: 100,
  maxRegisterEntries: 1000,
  maxUnregisterIds: 1000,
  maxResults: 1000,
  maxPeersPerHit: 20,
  maxPeerIdBytes: 128,
  maxFrameBytes: 256 * 1024,
  maxIndexFrameBytes: 2 * 1024 * 1024
})

/** Length of a flood query id, in bytes. */
export const QUERY_ID_BYTES = 16

/** A file as the wire carries it, checked. */
export interface WireEntry {
  id: string
  name: string
  size: number
}

/** A central index result as the wire carries it, checked. */
export interface WireHit extends WireEntry {
  providers: number
  peers: string[]
}

export type FloodWireFrame =
  | { type: 'query', id: Uint8Array, words: string[], ttl: number, hops: number }
  | { type: 'hit', id: Uint8Array, peer: string, entries: WireEntry[] }

export type IndexWireRequest =
  | { type: 'register', entries: WireEntry[], replace: boolean }
  | { type: 'unregister', ids: string[] }
  | { type: 'search', words: string[], limit: number }

export interface IndexWireResponse {
  accepted: number
  results: WireHit[]
  error?: string
}

const utf8 = new TextEncoder()
const bytesOf = (text: string): number => utf8.encode(text).byteLength

type Bad = Extract<Decoded<never>, { ok: false }>
const malformed = (detail: string): Bad => ({ ok: false, infraction: 'malformed-frame', detail })

/** Check query words: non-empty, bounded, at most `maxWords`. */
function checkWords (words: string[], limits: SearchWireLimits): string | undefined {
  if (words.length === 0) return 'a query without words'
  if (words.length > limits.maxWords) return `${words.length} words, more than ${limits.maxWords}`
  if (words.some(w => w === '' || bytesOf(w) > limits.maxWordBytes)) return 'an empty or over-long word'
  return undefined
}

/** Check entries and turn them into {@link WireEntry}s; a string names the first problem. */
export function checkEntries (entries: SearchEntry[], limits: SearchWireLimits): WireEntry[] | string {
  const out: WireEntry[] = []
  for (const entry of entries) {
    if (entry.id === '' || bytesOf(entry.id) > limits.maxIdBytes) return 'an empty or over-long file id'
    if (entry.name === '' || bytesOf(entry.name) > limits.maxNameBytes) return 'an empty or over-long file name'
    if (!Number.isSafeInteger(entry.size) || entry.size < 0) return 'a file size out of range'
    out.push({ id: entry.id, name: entry.name, size: entry.size })
  }
  return out
}

/** Entries ready for the wire. */
export function toWireEntries (entries: readonly WireEntry[]): SearchEntry[] {
  return entries.map(e => ({ id: e.id, name: e.name, size: Math.max(0, Math.floor(e.size)) }))
}

/** Is this entry within the limits (so that we neither send nor register what peers would refuse)? */
export function entryFits (entry: WireEntry, limits: SearchWireLimits): boolean {
  return typeof entry.id === 'string' && entry.id !== '' && bytesOf(entry.id) <= limits.maxIdBytes &&
    typeof entry.name === 'string' && entry.name !== '' && bytesOf(entry.name) <= limits.maxNameBytes &&
    Number.isSafeInteger(entry.size) && entry.size >= 0
}

// ---- /hearsay/search/1.0.0 ----------------------------------------------------------------

export function encodeQueryRequest (words: string[], limit: number): Uint8Array {
  return QueryRequest.encode({ words, limit })
}

export function decodeQueryRequest (bytes: Uint8Array | Uint8ArrayList, limits: SearchWireLimits): Decoded<{ words: string[], limit: number }> {
  let request: QueryRequest
  try {
    request = QueryRequest.decode(bytes, { limits: { words: limits.maxWords } })
  } catch (err) {
    return undecodable('search query', err)
  }
  const problem = checkWords(request.words, limits)
  if (problem != null) return malformed(problem)
  return { ok: true, frame: { words: request.words, limit: Math.min(request.limit === 0 ? limits.maxEntriesPerFrame : request.limit, limits.maxEntriesPerFrame) } }
}

export function encodeQueryResponse (entries: readonly WireEntry[]): Uint8Array {
  return QueryResponse.encode({ entries: toWireEntries(entries) })
}

export function decodeQueryResponse (bytes: Uint8Array | Uint8ArrayList, limits: SearchWireLimits): Decoded<WireEntry[]> {
  let response: QueryResponse
  try {
    response = QueryResponse.decode(bytes, { limits: { entries: limits.maxEntriesPerFrame } })
  } catch (err) {
    return undecodable('search answer', err)
  }
  const entries = checkEntries(response.entries, limits)
  if (typeof entries === 'string') return malformed(entries)
  return { ok: true, frame: entries }
}

// ---- /hearsay/search-flood/1.0.0 ----------------------------------------------------------

export function encodeFloodFrame (frame: FloodWireFrame): Uint8Array {
  if (frame.type === 'query') {
    return FloodFrame.encode({ query: { id: frame.id as Uint8Array<ArrayBuffer>, words: frame.words, ttl: frame.ttl, hops: frame.hops } })
  }
  return FloodFrame.encode({ hit: { id: frame.id as Uint8Array<ArrayBuffer>, peer: frame.peer, entries: toWireEntries(frame.entries) } })
}

export function decodeFloodFrame (bytes: Uint8Array | Uint8ArrayList, limits: SearchWireLimits): Decoded<FloodWireFrame> {
  let frame: FloodFrame
  try {
    frame = FloodFrame.decode(bytes, { limits: { query: { words: limits.maxWords }, hit: { entries: limits.maxEntriesPerFrame } } })
  } catch (err) {
    return undecodable('flood frame', err)
  }
  if ((frame.query == null) === (frame.hit == null)) return malformed('a flood frame must carry exactly one of query, hit')
  if (frame.query != null) {
    const { id, words, ttl, hops } = frame.query
    if (id.byteLength !== QUERY_ID_BYTES) return malformed(`a query id of ${id.byteLength} bytes`)
    const problem = checkWords(words, limits)
    if (problem != null) return malformed(problem)
    return { ok: true, frame: { type: 'query', id, words, ttl, hops } }
  }
  const hit = frame.hit as FloodFrame['hit'] & {}
  if (hit.id.byteLength !== QUERY_ID_BYTES) return malformed(`a query id of ${hit.id.byteLength} bytes`)
  if (hit.peer === '' || bytesOf(hit.peer) > limits.maxPeerIdBytes) return malformed('an empty or over-long peer id in a hit')
  if (hit.entries.length === 0) return malformed('a hit without entries')
  const entries = checkEntries(hit.entries, limits)
  if (typeof entries === 'string') return malformed(entries)
  return { ok: true, frame: { type: 'hit', id: hit.id, peer: hit.peer, entries } }
}

// ---- /hearsay/index/1.0.0 -----------------------------------------------------------------

export function encodeIndexRequest (request: IndexWireRequest): Uint8Array {
  switch (request.type) {
    case 'register': return IndexRequest.encode({ register: { entries: toWireEntries(request.entries), replace: request.replace } })
    case 'unregister': return IndexRequest.encode({ unregister: { ids: request.ids } })
    case 'search': return IndexRequest.encode({ search: { words: request.words, limit: request.limit } })
  }
}

export function decodeIndexRequest (bytes: Uint8Array | Uint8ArrayList, limits: SearchWireLimits): Decoded<IndexWireRequest> {
  let request: IndexRequest
  try {
    request = IndexRequest.decode(bytes, {
      limits: {
        register: { entries: limits.maxRegisterEntries },
        unregister: { ids: limits.maxUnregisterIds },
        search: { words: limits.maxWords }
      }
    })
  } catch (err) {
    return undecodable('index request', err)
  }
  const parts = [request.register, request.unregister, request.search].filter(p => p != null)
  if (parts.length !== 1) return malformed('an index request must carry exactly one of register, unregister, search')
  if (request.register != null) {
    const entries = checkEntries(request.register.entries, limits)
    if (typeof entries === 'string') return malformed(entries)
    return { ok: true, frame: { type: 'register', entries, replace: request.register.replace } }
  }
  if (request.unregister != null) {
    const ids = request.unregister.ids
    if (ids.some(id => id === '' || bytesOf(id) > limits.maxIdBytes)) return malformed('an empty or over-long file id')
    return { ok: true, frame: { type: 'unregister', ids } }
  }
  const search = request.search as IndexRequest['search'] & {}
  const problem = checkWords(search.words, limits)
  if (problem != null) return malformed(problem)
  const limit = Math.min(search.limit === 0 ? limits.maxResults : search.limit, limits.maxResults)
  return { ok: true, frame: { type: 'search', words: search.words, limit } }
}

export function encodeIndexResponse (response: IndexWireResponse): Uint8Array {
  const results: SearchHit[] = response.results.map(r => ({
    id: r.id, name: r.name, size: r.size, providers: r.providers, peers: r.peers
  }))
  return IndexResponse.encode({ accepted: response.accepted, results, error: response.error ?? '' })
}

export function decodeIndexResponse (bytes: Uint8Array | Uint8ArrayList, limits: SearchWireLimits): Decoded<IndexWireResponse> {
  let response: IndexResponse
  try {
    response = IndexResponse.decode(bytes, { limits: { results: limits.maxResults, results$: { peers: limits.maxPeersPerHit } } })
  } catch (err) {
    return undecodable('index answer', err)
  }
  const entries = checkEntries(response.results.map(r => ({ id: r.id, name: r.name, size: r.size })), limits)
  if (typeof entries === 'string') return malformed(entries)
  const results: WireHit[] = []
  for (let i = 0; i < entries.length; i++) {
    const peers = response.results[i].peers
    if (peers.some(p => p === '' || bytesOf(p) > limits.maxPeerIdBytes)) return malformed('an empty or over-long peer id in a result')
    results.push({ ...entries[i], providers: response.results[i].providers, peers })
  }
  return { ok: true, frame: { accepted: response.accepted, results, ...(response.error !== '' ? { error: response.error } : {}) } }
}
