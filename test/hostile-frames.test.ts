import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import fc from 'fast-check'
import { createHost, type Host } from '@hearsay/host'
import { GOSSIP_PROTOCOL, announce, flood } from '@hearsay/gossip'
import { QUERY_PROTOCOL, INDEX_PROTOCOL, SEARCH_WIRE_LIMITS } from '../packages/file-index/dist/search/index.js'
import { decodeIndexResponse, decodeQueryResponse, encodeIndexRequest, encodeQueryRequest } from '../packages/file-index/dist/search/wire.js'
import { PEX_PROTOCOL, PexMessage } from '@hearsay/discovery'
import { sampleCases, type ProtocolProfile } from './helpers/fuzz.ts'
import { Pinger, heapAfterGc, silenceGossip, newTally, runCases, sendCase, watchReports, type FuzzTally, type Reported } from './helpers/hostile.ts'
import { FUZZ_FILE_NAME, FUZZ_TOPICS, at, fuzzProfiles, idsFrame, startFuzzTarget, type FuzzTarget } from './helpers/hostile-targets.ts'
import { MEETS_ONLY_ITS_LINKS } from './helpers/loopback.ts'
import { concat, lengthPrefixed } from './helpers/protobuf.ts'
import { idleStreamsPerConnection, streamsByProtocol, waitForIdleStreams } from './helpers/streams.ts'
import { waitFor } from './helpers/wait.ts'
import { RelayNode, TX_TOPIC } from '../examples/tx-relay/src/relay.ts'
import { TX_BYTES, encodeTx, publicKeyHex, signTx } from '../examples/tx-relay/src/tx.ts'

/** Cases per protocol in CI; `pnpm bench hostile` runs many more. */
const CASES = 150
const SEED = 0x5eed
/** Streams the stream-flood attacker opens. */
const STREAMS = 2000

function count (names: string[]): Record<string, number> {
  const out: Record<string, number> = {}
  for (const n of names) out[n] = (out[n] ?? 0) + 1
  return out
}

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
  let fuzz: FuzzTarget
  let reports: Reported[]
  let pinger: Pinger
  let heapBefore: number
  let idleStreams: Record<string, number>
  let profiles: ProtocolProfile[]
  const tallies: FuzzTally[] = []

  before(async () => {
    fuzz = await startFuzzTarget('127.0.160.1');
    ({ target, fileId } = fuzz)
    reports = watchReports(target)
    honest = await createHost({ ...at('127.0.160.2'), discovery: false })
    attacker = await createHost({ ...at('127.0.160.3'), ...MEETS_ONLY_ITS_LINKS })
    // the attacker speaks gossip only through its fuzz streams: its own gossip service is stopped,
    // and what the target gossips to it is read and dropped (so the target keeps it as a peer)
    await silenceGossip(attacker)
    honest.services.gossip.subscribe(FUZZ_TOPICS.flood, { strategy: flood() })
    honest.services.gossip.subscribe(FUZZ_TOPICS.announce, { strategy: announce() })
    await honest.dial(target.getMultiaddrs())
    await attacker.dial(target.getMultiaddrs())
    await waitFor(() => honest.services.gossip.getSubscribers(FUZZ_TOPICS.flood).length === 1 && honest.services.gossip.getSubscribers(FUZZ_TOPICS.announce).length === 1,
      { what: 'honest peer sees the target subscribed' })
    profiles = fuzzProfiles(fuzz, honest)
    idleStreams = await idleStreamsPerConnection(['127.0.160.8', '127.0.160.9'], FUZZ_TOPICS.flood)
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
      // a flooded payload, and an announced one (announce, request, payload over the tree's topic)
      for (const topic of [FUZZ_TOPICS.flood, FUZZ_TOPICS.announce]) {
        const got = new Promise<string>(resolve => {
          const listener = (event: CustomEvent<{ topic: string, data: Uint8Array }>): void => {
            if (event.detail.topic !== topic) return
            target.services.gossip.removeEventListener('message', listener)
            resolve(new TextDecoder().decode(event.detail.data))
          }
          target.services.gossip.addEventListener('message', listener)
        })
        await honest.services.gossip.publish(topic, new TextEncoder().encode(`honest ${topic} ${Date.now()}`))
        assert.equal(await got.then(text => text.split(' ')[1]), topic)
      }
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

  it('gossip prune frames: each made-up, misplaced, malformed or oversized one reported as what it is and its stream ended; an honest one neither; the target still serves', async () => {
    const published = new Uint8Array(Buffer.from(fuzz.publishedId, 'hex'))
    const unknown = new Uint8Array(32).fill(13)
    const cases: Array<{ name: string, frame: Uint8Array, infraction?: string }> = [
      { name: 'a prune of an id the target published (honest: nothing to report)', frame: idsFrame('prune', FUZZ_TOPICS.announce, [published]) },
      { name: 'a prune of an id the target never had', frame: idsFrame('prune', FUZZ_TOPICS.announce, [unknown]), infraction: 'unexpected-frame' },
      { name: 'a prune on a flood topic', frame: idsFrame('prune', FUZZ_TOPICS.flood, [published]), infraction: 'unexpected-frame' },
      { name: 'a prune on an announce topic without a tree', frame: idsFrame('prune', FUZZ_TOPICS.inv, [published]), infraction: 'unexpected-frame' },
      { name: 'a prune of 1001 ids, over the 1000 a frame may carry', frame: idsFrame('prune', FUZZ_TOPICS.announce, Array.from({ length: 1001 }, () => published)), infraction: 'oversized-frame' },
      { name: 'a prune of an empty id', frame: idsFrame('prune', FUZZ_TOPICS.announce, [published, new Uint8Array(0)]), infraction: 'malformed-frame' },
      { name: 'a prune of a 65-byte id', frame: idsFrame('prune', FUZZ_TOPICS.announce, [new Uint8Array(65).fill(1)]), infraction: 'malformed-frame' },
      { name: 'a prune with no topic', frame: idsFrame('prune', '', [published]), infraction: 'malformed-frame' },
      { name: 'a prune and an announce in one frame', frame: concat([idsFrame('prune', FUZZ_TOPICS.announce, [published]), idsFrame('announce', FUZZ_TOPICS.announce, [unknown])]), infraction: 'malformed-frame' }
    ]
    const key = attacker.peerId.toString()
    for (const c of cases) {
      const from = reports.length
      // the attacker keeps its side open: only the target can end the stream
      const outcome = await sendCase(attacker, target, GOSSIP_PROTOCOL, {
        kind: 'wrong-order', chunks: [lengthPrefixed(c.frame)], closeWrite: false, mustReport: c.infraction != null, label: c.name
      }, c.infraction != null ? 2000 : 300)
      const mine = reports.slice(from).filter(r => r.peer === key).map(r => r.infraction)
      if (c.infraction == null) {
        assert.deepEqual(mine, [], `${c.name}: no report`)
        assert.equal(outcome, 'left-open', `${c.name}: the stream kept`)
      } else {
        assert.deepEqual(mine, [c.infraction], `${c.name}: reported as ${c.infraction}`)
        assert.equal(outcome, 'reset', `${c.name}: the target reset the stream`)
      }
      assert.equal(target.status, 'started')
    }
    await stillServes.gossip()
  })

  it(`${STREAMS} streams opened across every protocol, each with a frame begun and never finished, and left open: the target holds a bounded number and frees them all`, async () => {
    const protocols = profiles.map(p => p.protocol)
    const key = attacker.peerId.toString()
    const heap = heapAfterGc()
    const fromReports = reports.length
    const opened: Array<Awaited<ReturnType<Host['dialProtocol']>>> = []
    let refused = 0
    for (let i = 0; i < STREAMS; i++) {
      try {
        const stream = await attacker.dialProtocol(target.peerId, protocols[i % protocols.length], { signal: AbortSignal.timeout(5000) })
        // a length prefix of 5 and one byte: the target must wait for the rest, or give up
        if (stream.status === 'open') stream.send(Uint8Array.from([0x05, 0x0a]))
        opened.push(stream)
      } catch {
        refused++
      }
    }
    const held = (): number => target.getConnections(attacker.peerId).flatMap(c => c.streams).filter(st => st.direction === 'inbound').length
    const heldAtPeak = held()
    const stillOpen = opened.filter(st => st.status === 'open').length
    const grown = heapAfterGc() - heap
    // the sum of every protocol's per-connection inbound limit (pex 2, gossip 2, pieces 6, search 32, flood 128, index 64)
    assert.ok(heldAtPeak <= 234, `the target holds ${heldAtPeak} streams`)
    assert.ok(grown < 32 * 2 ** 20, `heap grew ${(grown / 2 ** 20).toFixed(1)} MiB`)
    await target.services.ping.ping(honest.peerId, { signal: AbortSignal.timeout(1000) })
    for (const stream of opened) stream.abort(new Error('done'))
    await waitFor(() => held() === 0, { what: 'the target let go of every stream', timeoutMs: 10_000 })
    const infractions = reports.slice(fromReports).filter(r => r.peer === key).map(r => r.infraction)
    console.log(`      ${STREAMS} streams: ${opened.length} negotiated, ${refused} refused, ${stillOpen} still open on the attacker's side, ` +
      `${heldAtPeak} held by the target at the peak; heap grew ${(grown / 2 ** 20).toFixed(1)} MiB; ${infractions.length} reports ${JSON.stringify(count(infractions))}`)
  })

  it('throughout: every ping from the honest peer answered within a second, the heap bounded, and no stream left behind', async () => {
    const pings = await pinger.stop()
    assert.ok(pings.pings > 10, `${pings.pings} pings`)
    assert.deepEqual(pings.failures, [])
    await waitForIdleStreams([target, honest], idleStreams)
    console.log(`      target's streams after the run ${JSON.stringify(streamsByProtocol(target))}; an idle connection keeps ${JSON.stringify(idleStreams)}`)
    const grown = heapAfterGc() - heapBefore
    console.log(`      ${pings.pings} pings, slowest ${pings.maxMs.toFixed(0)} ms; heap grew ${(grown / 2 ** 20).toFixed(1)} MiB (${(grown / heapBefore * 100).toFixed(1)} %)`)
    assert.ok(grown < 32 * 2 ** 20, `heap grew ${(grown / 2 ** 20).toFixed(1)} MiB`)
    assert.ok(grown <= 0.1 * heapBefore, `heap after GC within 10 % of before the run: grew ${(grown / heapBefore * 100).toFixed(1)} %`)
  })
})

describe('hostile frames: the relay\'s transaction topic', function () {
  this.timeout(120_000)
  const TX_CASES = 40
  let relay: RelayNode
  let honest: Host
  const attackers: Host[] = []

  before(async () => {
    relay = await RelayNode.start({ listen: '/ip4/127.0.161.1/tcp/0', dialFrom: '127.0.161.1', bootstrap: [], relay: 'flood' })
    honest = await createHost({ ...at('127.0.161.2'), ...MEETS_ONLY_ITS_LINKS })
    honest.services.gossip.subscribe(TX_TOPIC, { strategy: flood() })
    await honest.dial(relay.host.getMultiaddrs())
  })

  after(async () => {
    await Promise.all([honest, ...attackers.splice(0)].filter(h => h != null).map(async h => { await h.stop() }))
    await relay?.stop()
  })

  it(`${TX_CASES} generated invalid transactions are each refused, every sender is banned, and an honest transaction still lands`, async () => {
    const key = generateKeyPairSync('ed25519').privateKey
    const good = (nonce: number): Uint8Array => encodeTx(signTx({ from: publicKeyHex(key), to: 'cd'.repeat(32), amount: 5n, fee: 10n, nonce: BigInt(nonce) }, key))
    const invalid = fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 400 }).map(b => ({ kind: 'random bytes', data: b })),
      fc.uint8Array({ minLength: TX_BYTES, maxLength: TX_BYTES }).map(b => { b[0] = 1; return { kind: 'random transaction', data: b } }),
      fc.tuple(fc.nat(1000), fc.integer({ min: 8, max: TX_BYTES * 8 - 1 })).map(([nonce, bit]) => {
        const data = good(nonce)
        data[bit >> 3] ^= 1 << (bit & 7)
        return { kind: 'one bit flipped', data }
      }),
      fc.tuple(fc.nat(1000), fc.integer({ min: 1, max: TX_BYTES - 1 })).map(([nonce, cut]) => ({ kind: 'truncated', data: good(nonce).subarray(0, cut) })),
      fc.tuple(fc.nat(1000), fc.uint8Array({ minLength: 1, maxLength: 64 })).map(([nonce, extra]) => ({ kind: 'padded', data: concat([good(nonce), extra]) }))
    )
    // distinct payloads: gossip drops a message it has seen, so a repeat would never reach the validator
    const [cases] = fc.sample(fc.uniqueArray(invalid, { minLength: TX_CASES, maxLength: TX_CASES, selector: c => Buffer.from(c.data).toString('hex') }), { numRuns: 1, seed: SEED })
    const rejected = (): number => Object.values(relay.counters.rejected).reduce((a, b) => a + b, 0)
    const reports = watchReports(relay.host)
    const pinger = new Pinger(honest, relay.host.peerId, { intervalMs: 200 }).start()
    let sent = 0
    let banned = 0
    let attacker: Host | undefined
    for (const c of cases) {
      if (attacker == null) {
        attacker = await createHost({ ...at(`127.0.161.${10 + attackers.length}`), ...MEETS_ONLY_ITS_LINKS })
        attackers.push(attacker)
        attacker.services.gossip.subscribe(TX_TOPIC, { strategy: flood() })
        await attacker.dial(relay.host.getMultiaddrs())
        const subscribed = attacker
        await waitFor(() => subscribed.services.gossip.getSubscribers(TX_TOPIC).length === 1, { what: 'the relay subscribed, seen by a new attacker' })
      }
      const before = rejected()
      const reportsBefore = reports.length
      await attacker.services.gossip.publish(TX_TOPIC, c.data)
      sent++
      // the refusal is counted at once, the report to scoring follows the validator's promise
      await waitFor(() => rejected() > before && reports.length > reportsBefore, { what: `the relay refused and reported ${c.kind} (case ${sent}, ${c.data.byteLength} bytes; rejected ${rejected()} ${JSON.stringify(relay.counters.rejected)}, reports ${reports.length})` })
      if (relay.host.services.scoring.isBanned(attacker.peerId)) {
        banned++
        const gone = attacker
        await waitFor(() => gone.getConnections(relay.host.peerId).length === 0, { what: 'the banned attacker cut off' })
        attacker = undefined
      }
    }
    assert.equal(rejected(), sent, 'every invalid transaction refused')
    assert.equal(relay.mempool.size, 0, 'none reached the mempool')
    // invalid-message weighs 20: every fifth one from a sender bans it
    assert.equal(banned, Math.floor(TX_CASES / 5))
    const honestTx = good(5000)
    await honest.services.gossip.publish(TX_TOPIC, honestTx)
    await waitFor(() => relay.mempool.size === 1, { what: 'the honest transaction in the mempool' })
    const pings = await pinger.stop()
    assert.deepEqual(pings.failures, [])
    console.log(`      tx topic: ${sent} invalid transactions (${JSON.stringify(relay.counters.rejected)}), ${banned} senders banned; ` +
      `${pings.pings} pings, slowest ${pings.maxMs.toFixed(0)} ms`)
  })
})
