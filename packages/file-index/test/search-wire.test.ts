import assert from 'node:assert/strict'
import {
  SEARCH_WIRE_LIMITS, decodeFloodFrame, decodeIndexRequest, decodeIndexResponse, decodeQueryRequest, decodeQueryResponse,
  encodeFloodFrame, encodeIndexRequest, encodeIndexResponse, encodeQueryRequest, encodeQueryResponse
} from '../dist/search/wire.js'
import { FloodFrame, IndexRequest, QueryResponse } from '../dist/search/pb/search.js'

const limits = SEARCH_WIRE_LIMITS
const id16 = new Uint8Array(16).fill(7)

describe('search wire', () => {
  it('round-trips every frame', () => {
    const q = decodeQueryRequest(encodeQueryRequest(['ubuntu', 'server'], 5), limits)
    assert.deepEqual(q, { ok: true, frame: { words: ['ubuntu', 'server'], limit: 5 } })
    const entries = [{ id: 'bafy1', name: 'Ubuntu Server', size: 2_754_981_888 }, { id: 'bafy2', name: 'Big', size: 2 ** 40 }]
    assert.deepEqual(decodeQueryResponse(encodeQueryResponse(entries), limits), { ok: true, frame: entries })
    const query = decodeFloodFrame(encodeFloodFrame({ type: 'query', id: id16, words: ['x1'], ttl: 3, hops: 2 }), limits)
    assert.ok(query.ok && query.frame.type === 'query' && query.frame.ttl === 3 && query.frame.hops === 2)
    const hit = decodeFloodFrame(encodeFloodFrame({ type: 'hit', id: id16, peer: '12D3Koo', entries }), limits)
    assert.ok(hit.ok && hit.frame.type === 'hit')
    assert.deepEqual(hit.frame.entries, entries)
    for (const request of [
      { type: 'register' as const, entries, replace: true },
      { type: 'unregister' as const, ids: ['a', 'b'] },
      { type: 'search' as const, words: ['server'], limit: 7 }
    ]) {
      assert.deepEqual(decodeIndexRequest(encodeIndexRequest(request), limits), { ok: true, frame: request })
    }
    const response = { accepted: 1, results: [{ ...entries[0], providers: 3, peers: ['p1', 'p2'] }] }
    assert.deepEqual(decodeIndexResponse(encodeIndexResponse(response), limits), { ok: true, frame: response })
  })

  it('refuses garbage as malformed, never throwing', () => {
    const garbage = [new Uint8Array([0xff, 0xff, 0xff]), new Uint8Array([0x0a, 0x50, 1]), new Uint8Array(0)]
    for (const bytes of garbage) {
      for (const decode of [decodeQueryRequest, decodeFloodFrame, decodeIndexRequest]) {
        const out = decode(bytes, limits)
        assert.equal(out.ok, false, `${decode.name} accepted ${bytes.join(',')}`)
        if (!out.ok) assert.ok(['malformed-frame', 'oversized-frame'].includes(out.infraction))
      }
    }
  })

  it('enforces the limits on words, names, ids and repeated fields', () => {
    const tooMany = Array.from({ length: 17 }, (_, i) => `w${i}`)
    const bad = (out: { ok: boolean }): void => { assert.equal(out.ok, false) }
    bad(decodeQueryRequest(encodeQueryRequest(tooMany, 1), limits))
    bad(decodeQueryRequest(encodeQueryRequest([], 1), limits))
    bad(decodeQueryRequest(encodeQueryRequest(['x'.repeat(300)], 1), limits))
    const long = { id: 'a', name: 'n'.repeat(1025), size: 1 }
    bad(decodeQueryResponse(QueryResponse.encode({ entries: [{ ...long, size: 1 }] }), limits))
    bad(decodeQueryResponse(QueryResponse.encode({ entries: [{ id: 'a'.repeat(129), name: 'n', size: 1 }] }), limits))
    // a size of 2^60, past what a JS number holds exactly (the encoder refuses to write it)
    const inner = [0x0a, 1, 0x61, 0x12, 1, 0x6e, 0x18, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10]
    bad(decodeQueryResponse(new Uint8Array([0x0a, inner.length, ...inner]), limits))
    const many = Array.from({ length: 101 }, (_, i) => ({ id: `i${i}`, name: 'n', size: 1 }))
    const over = decodeQueryResponse(QueryResponse.encode({ entries: many }), limits)
    assert.ok(!over.ok && over.infraction === 'oversized-frame')
    bad(decodeFloodFrame(FloodFrame.encode({ query: { id: new Uint8Array(3), words: ['ab'], ttl: 1, hops: 0 } }), limits))
    bad(decodeFloodFrame(FloodFrame.encode({}), limits))
    bad(decodeFloodFrame(FloodFrame.encode({ query: { id: id16, words: ['ab'], ttl: 1, hops: 0 }, hit: { id: id16, peer: 'p', entries: [] } }), limits))
    bad(decodeFloodFrame(FloodFrame.encode({ hit: { id: id16, peer: 'p', entries: [] } }), limits))
    bad(decodeIndexRequest(IndexRequest.encode({}), limits))
    bad(decodeIndexRequest(IndexRequest.encode({ unregister: { ids: Array.from({ length: 1001 }, () => 'x') } }), limits))
    // limits above the maximum are capped, zero means the maximum
    const q = decodeQueryRequest(encodeQueryRequest(['ab'], 100_000), limits)
    assert.ok(q.ok && q.frame.limit === limits.maxEntriesPerFrame)
    const s = decodeIndexRequest(encodeIndexRequest({ type: 'search', words: ['ab'], limit: 0 }), limits)
    assert.ok(s.ok && s.frame.type === 'search' && s.frame.limit === limits.maxResults)
  })
})
