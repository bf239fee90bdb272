import assert from 'node:assert/strict'
import { createHost, type Host } from '@hearsay/host'
import { GOSSIP_PROTOCOL, flood } from '@hearsay/gossip'
import { QUERY_PROTOCOL, INDEX_PROTOCOL, SEARCH_WIRE_LIMITS } from '../packages/file-index/dist/search/index.js'
import { decodeIndexResponse, decodeQueryResponse, encodeIndexRequest, encodeQueryRequest } from '../packages/file-index/dist/search/wire.js'
import { PEX_PROTOCOL, PexMessage } from '@hearsay/discovery'
import { sampleCases, type ProtocolProfile } from './helpers/fuzz.ts'
import { Pinger, heapAfterGc, newTally, runCases, watchReports, type FuzzTally, type Reported } from './helpers/hostile.ts'
import { FUZZ_FILE_NAME, FUZZ_TOPICS, at, fuzzProfiles, startFuzzTarget } from './helpers/hostile-targets.ts'
import { concat, lengthPrefixed } from './helpers/protobuf.ts'
import { waitFor } from './helpers/wait.ts'

/** Cases per protocol in CI; `pnpm bench hostile` runs many more. */
const CASES = 150
const SEED = 0x5eed

/** Write one length-prefixed frame on a new stream and read the one frame that comes back (the answerer then closes). */
async function exchangeOne (from: Host, to: Host, protocol: string, payload: Uint8Array): Promise<Uint8Array> {
  const stream = await from.dialProtocol(to.peerId, protocol, { signal: AbortSignal.timeout(5000) })
  const chunks: Uint8Array[] = []
  const ended = new Promise<void>((resolve, reject) => {
    stream.addEventListener('message', event => { chunks.push(event.data instanceof Uint8Array ? event.data : event.data.subarray()) })
    stream.addEventListener('remoteCloseWrite', () => { resolve() }, { once: true })
    stream.addEventListener('close', event => { if (event.error != null) reject(event.error); else resolve() }, { once: true })
  })
  stream.send(lengthPrefixed(payload))
  try {
    await Promise.race([ended, new Promise<never>((_resolve, reject) => setTimeout(() => { reject(new Error(`${protocol}: no answer within 5 s`)) }, 5000))])
  } finally {
    await stream.close().catch(() => {})
  }
  const data = concat(chunks)
  let i = 0
  while ((data[i] & 0x80) !== 0) i++
  assert.ok(data.byteLength > i, `${protocol}: an answer`)
  return data.subarray(i + 1)
}

describe('hostile frames: every hearsay protocol fuzzed on a live host', function () {
  this.timeout(120_000)
  let target: Host
  let honest: Host
  let attacker: Host
  let fileId: string
  let reports: Reported[]
  let pinger: Pinger
  let heapBefore: number
  let profiles: ProtocolProfile[]
  const tallies: FuzzTally[] = []

  before(async () => {
    ({ target, fileId } = await startFuzzTarget('127.0.160.1'))
    reports = watchReports(target)
    honest = await createHost({ ...at('127.0.160.2'), discovery: false })
    attacker = await createHost({ ...at('127.0.160.3'), discovery: false, files: false })
    // the attacker speaks gossip only through its fuzz streams: its own gossip service is stopped,
    // and what the target gossips to it is read and dropped (so the target keeps it as a peer)
    await (attacker.services.gossip as unknown as { stop: () => Promise<void> }).stop()
    await attacker.handle(GOSSIP_PROTOCOL, stream => { stream.addEventListener('message', () => {}) })
    honest.services.gossip.subscribe(FUZZ_TOPICS.flood, { strategy: flood() })
    await honest.dial(target.getMultiaddrs())
    await attacker.dial(target.getMultiaddrs())
    await waitFor(() => honest.services.gossip.getSubscribers(FUZZ_TOPICS.flood).length === 1, { what: 'honest peer sees the target subscribed' })
    profiles = fuzzProfiles(target, fileId, honest)
    heapBefore = heapAfterGc()
    console.log(`      heap after setup ${(heapBefore / 2 ** 20).toFixed(1)} MiB`)
    pinger = new Pinger(honest, target.peerId, { intervalMs: 200 }).start()
  })

  after(async () => {
    await pinger?.stop()
    await Promise.all([target, honest, attacker].filter(h => h != null).map(async h => { await h.stop() }))
    if (tallies.length > 0) {
      console.log('      frames tried per protocol:')
      for (const t of tallies) {
        const kinds = Object.entries(t.byKind).map(([k, v]) => `${k} ${v.reported}/${v.cases}`).join(', ')
        console.log(`        ${t.protocol}: ${t.cases} cases, ${t.bytes} bytes, heap ${((t.heapGrowth ?? 0) / 2 ** 20).toFixed(1)} MiB; reported/tried by kind: ${kinds}; infractions ${JSON.stringify(t.infractions)}`)
      }
    }
  })

  /** The honest peer's proof, after each protocol's fuzzing, that the target still serves it. */
  const stillServes: Record<string, () => Promise<void>> = {
    pex: async () => {
      const answer = PexMessage.decode(await exchangeOne(honest, target, PEX_PROTOCOL, PexMessage.encode({ request: { max: 10 } })))
      assert.ok(answer.response != null, 'a peer-exchange answer')
    },
    gossip: async () => {
      const got = new Promise<string>(resolve => {
        target.services.gossip.addEventListener('message', event => { resolve(new TextDecoder().decode(event.detail.data)) }, { once: true })
      })
      await honest.services.gossip.publish(FUZZ_TOPICS.flood, new TextEncoder().encode(`honest ${Date.now()}`))
      assert.match(await got, /^honest/)
    },
    pieces: async () => {
      await honest.services.files.get(fileId, { dht: false, signal: AbortSignal.timeout(10_000) })
      assert.ok(honest.services.files.list().some(f => f.id === fileId && f.complete), 'the honest peer downloaded the file')
      await honest.services.files.remove?.(fileId)
    },
    search: async () => {
      const decoded = decodeQueryResponse(await exchangeOne(honest, target, QUERY_PROTOCOL, encodeQueryRequest(['ubuntu'], 10)), SEARCH_WIRE_LIMITS)
      assert.ok(decoded.ok && decoded.frame.some((e: { name: string }) => e.name === FUZZ_FILE_NAME), 'the target answers a search with its file')
    },
    'search-flood': async () => {
      const results = await honest.services.files.search('ubuntu', { via: 'flood', timeoutMs: 1500 })
      assert.ok(results.some(r => r.name === FUZZ_FILE_NAME), 'a flooded query reaches the target and its hit comes back')
    },
    index: async () => {
      const registered = decodeIndexResponse(await exchangeOne(honest, target, INDEX_PROTOCOL,
        encodeIndexRequest({ type: 'register', entries: [{ id: fileId, name: FUZZ_FILE_NAME, size: 300 * 1024 }], replace: true })), SEARCH_WIRE_LIMITS)
      assert.ok(registered.ok && registered.frame.accepted === 1, 'the index takes the honest registration')
      const found = decodeIndexResponse(await exchangeOne(honest, target, INDEX_PROTOCOL, encodeIndexRequest({ type: 'search', words: ['ubuntu'], limit: 10 })), SEARCH_WIRE_LIMITS)
      const hit = found.ok ? found.frame.results.find((r: { id: string }) => r.id === fileId) : undefined
      assert.ok(hit != null, 'the index still answers searches')
    }
  }

  for (const name of ['pex', 'gossip', 'pieces', 'search', 'search-flood', 'index']) {
    it(`${name}: ${CASES} generated hostile frames are each survived, the deliberate ones reported, and the honest peer still served`, async () => {
      const profile = profiles.find(p => p.name === name) as ProtocolProfile
      const tally = newTally(name)
      tallies.push(tally)
      const cases = sampleCases(profile, CASES, SEED)
      const heap = heapAfterGc()
      await runCases(attacker, target, profile.protocol, cases, reports, tally)
      tally.heapGrowth = heapAfterGc() - heap
      console.log(`      heap ${(heap / 2 ** 20).toFixed(1)} -> ${((heap + tally.heapGrowth) / 2 ** 20).toFixed(1)} MiB`)
      assert.equal(target.status, 'started')
      assert.deepEqual(tally.unreported, [], 'every deliberate violation was reported to scoring')
      // reconnect if the target hung up on the attacker (it may close a connection it no longer trusts)
      await stillServes[name]()
    })
  }

  it('throughout: every ping from the honest peer answered within a second, and the heap bounded', async () => {
    const pings = await pinger.stop()
    assert.ok(pings.pings > 10, `${pings.pings} pings`)
    assert.deepEqual(pings.failures, [])
    const grown = heapAfterGc() - heapBefore
    console.log(`      ${pings.pings} pings, slowest ${pings.maxMs.toFixed(0)} ms; heap grew ${(grown / 2 ** 20).toFixed(1)} MiB`)
    assert.ok(grown < 32 * 2 ** 20, `heap grew ${(grown / 2 ** 20).toFixed(1)} MiB`)
  })
})
