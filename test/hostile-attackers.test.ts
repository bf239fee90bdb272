import assert from 'node:assert/strict'
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto'
import { createHost, type Host } from '@hearsay/host'
import { GOSSIP_PROTOCOL, announce, flood } from '@hearsay/gossip'
import { PEX_PROTOCOL, PexMessage } from '@hearsay/discovery'
import { PIECES_PROTOCOL, Bitfield, decodeFrame, encodeFrame, encodeManifest, frameDecoder, manifestOf, type GetProgressEvents } from '@hearsay/file-index'
import { multiaddr } from '@multiformats/multiaddr'
import { RelayNode, TX_TOPIC } from '../examples/tx-relay/src/relay.ts'
import { encodeTx, publicKeyHex, signTx } from '../examples/tx-relay/src/tx.ts'
import { Pinger, silenceGossip, watchReports } from './helpers/hostile.ts'
import { at, seededBytes } from './helpers/hostile-targets.ts'
import { MEETS_ONLY_ITS_LINKS } from './helpers/loopback.ts'
import { bfield, concat, lengthPrefixed, vfield } from './helpers/protobuf.ts'
import { waitFor } from './helpers/wait.ts'

const text = (data: Uint8Array): string => new TextDecoder().decode(data)
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s)

/** An Ed25519 peer id's multihash bytes (identity hash of the protobuf public key) for a made-up key. */
function fakePeerId (): Uint8Array<ArrayBuffer> {
  return new Uint8Array(concat([Uint8Array.from([0x00, 0x24, 0x08, 0x01, 0x12, 0x20]), randomBytes(32)]))
}

describe('hostile attackers: each detected and banned while honest work completes', function () {
  this.timeout(120_000)
  const hosts: Host[] = []
  const relays: RelayNode[] = []
  afterEach(async () => {
    await Promise.all(hosts.splice(0).map(async h => { await h.stop() }))
    await Promise.all(relays.splice(0).map(async r => { await r.stop() }))
  })

  async function host (ip: string, options: Parameters<typeof createHost>[0] = {}): Promise<Host> {
    const h = await createHost({ ...at(ip), ...options })
    hosts.push(h)
    return h
  }

  it('seeders of corrupted pieces (random bytes, and the right length of another piece) are banned; the download completes byte-identical from the honest one', async () => {
    const data = seededBytes(3 * 1024 * 1024, 'attack-pieces')
    const honest = await host('127.0.162.1', { files: { uploadBytesPerSecond: 8 * 1024 * 1024 } })
    const id = await honest.services.files.add(data, { name: 'attack.bin', provide: false })
    const manifest = encodeManifest(manifestOf(data, 'attack.bin'))
    const pieces = Math.ceil(data.byteLength / (256 * 1024))
    /** A seeder that claims every piece and answers each request with `corrupt(index, offset, length)`. */
    async function corruptSeeder (ip: string, corrupt: (index: number, offset: number, length: number) => Uint8Array): Promise<Host> {
      const seeder = await host(ip, { files: false, discovery: false })
      await seeder.handle(PIECES_PROTOCOL, stream => {
        const decoder = frameDecoder(4096)
        stream.addEventListener('message', event => {
          for (const frame of decoder.decode(event.data)) {
            const decoded = decodeFrame(frame)
            if (!decoded.ok || stream.status !== 'open') continue
            const f = decoded.frame
            if (f.type === 'hello') {
              if (f.wantManifest) stream.send(encodeFrame({ type: 'manifest', manifest }))
              stream.send(encodeFrame({ type: 'bitfield', bits: Bitfield.full(pieces).bytes }))
            } else if (f.type === 'request') {
              stream.send(encodeFrame({ type: 'piece', index: f.index, offset: f.offset, data: corrupt(f.index, f.offset, f.length) }))
            }
          }
        })
      })
      return seeder
    }
    const random = await corruptSeeder('127.0.162.2', (_i, _o, length) => randomBytes(length))
    // a subtler liar: real data, from the wrong piece
    const shifted = await corruptSeeder('127.0.162.3', (index, offset, length) => {
      const other = ((index + 1) % (pieces - 1)) * 256 * 1024
      return data.subarray(other + offset, other + offset + length)
    })
    const downloader = await host('127.0.162.4')
    for (const peer of [random, shifted, honest]) await downloader.dial(peer.getMultiaddrs())
    const pinger = new Pinger(downloader, honest.peerId).start()
    const bad: number[] = []
    const result = await downloader.services.files.get(id, {
      dht: false,
      onProgress: (e: GetProgressEvents) => { if (e.type === 'files:get:bad-piece') bad.push(e.detail.index) }
    })
    assert.deepEqual(await downloader.services.files.cat(id), data)
    for (const liar of [random, shifted]) {
      assert.ok(downloader.services.scoring.isBanned(liar.peerId), 'the corrupt seeder is banned')
      assert.equal(result.fromPeers[liar.peerId.toString()] ?? 0, 0, 'nothing of the corrupt seeder kept')
    }
    assert.ok(bad.length >= 2, `${bad.length} bad pieces caught`)
    assert.deepEqual((await pinger.stop()).failures, [])
    console.log(`      ${bad.length} corrupted pieces caught, both liars banned, ${pieces} pieces from the honest seeder`)
  })

  it('three peers flooding invalid transactions at a relay are banned, and 20 honest transactions all reach its mempool', async () => {
    const relay = await RelayNode.start({ listen: '/ip4/127.0.163.1/tcp/0', dialFrom: '127.0.163.1', bootstrap: [], relay: 'flood' })
    relays.push(relay)
    const honest = await host('127.0.163.2', MEETS_ONLY_ITS_LINKS)
    honest.services.gossip.subscribe(TX_TOPIC, { strategy: flood() })
    await honest.dial(relay.host.getMultiaddrs())
    const attackers = await Promise.all([3, 4, 5].map(async n => await host(`127.0.163.${n}`, MEETS_ONLY_ITS_LINKS)))
    for (const a of attackers) {
      a.services.gossip.subscribe(TX_TOPIC, { strategy: flood() })
      await a.dial(relay.host.getMultiaddrs())
    }
    await waitFor(() => [honest, ...attackers].every(h => h.services.gossip.getSubscribers(TX_TOPIC).length === 1), { what: 'everyone sees the relay subscribed' })
    const key = generateKeyPairSync('ed25519').privateKey
    const tx = (nonce: number, fee = 10n): Uint8Array => encodeTx(signTx({ from: publicKeyHex(key), to: 'ef'.repeat(32), amount: 1n, fee, nonce: BigInt(nonce) }, key))
    // each attacker sends 50 transactions with a flipped signature bit, as fast as gossip takes them
    const flooding = attackers.map(async (a, k) => {
      for (let i = 0; i < 50 && a.getConnections(relay.host.peerId).length > 0; i++) {
        const forged = tx(1000 * (k + 1) + i)
        forged[forged.byteLength - 1] ^= 1
        await a.services.gossip.publish(TX_TOPIC, forged).catch(() => {})
      }
    })
    for (let nonce = 0; nonce < 20; nonce++) await honest.services.gossip.publish(TX_TOPIC, tx(nonce))
    await Promise.all(flooding)
    await waitFor(() => attackers.every(a => relay.host.services.scoring.isBanned(a.peerId)), { what: 'every flooder banned' })
    await waitFor(() => relay.mempool.size === 20, { what: 'the 20 honest transactions in the mempool', timeoutMs: 15_000 })
    const refused = relay.counters.rejected['bad-signature'] ?? 0
    assert.ok(refused >= 15, `${refused} forged transactions refused`)
    console.log(`      ${refused} forged transactions refused before all 3 flooders were banned; 20/20 honest in the mempool`)
  })

  it('a PEX eclipse flood (thousands of addresses in one /16, answered and pushed by three sybils there) takes one bucket, at most one outbound slot, and the sybils that push are banned', async () => {
    const victim = await host('127.164.0.1', { dht: { clientMode: true }, discovery: { pexPeerIntervalMs: 60_000, dialIntervalMs: 200, targetOutbound: 4 } })
    const reports = watchReports(victim)
    const honest = await Promise.all([165, 166, 167].map(async n => await host(`127.${n}.0.1`, { dht: { clientMode: true } })))
    /** An answer of `n` made-up peers, every address in 127.170.0.0/16. */
    const flood = (n: number): Uint8Array => PexMessage.encode({
      response: { peers: Array.from({ length: n }, (_, i) => ({ id: fakePeerId(), addrs: [multiaddr(`/ip4/127.170.${(i >> 8) & 255}.${i & 255}/tcp/4001`).bytes], age: 0 })) }
    })
    const sybils = await Promise.all([1, 2, 3].map(async n => {
      const sybil = await host(`127.170.200.${n}`, { discovery: false, dht: { clientMode: true } })
      // asked for addresses, a sybil answers with as many as the asker allows (1000): legal, and all its own netgroup
      await sybil.handle(PEX_PROTOCOL, stream => {
        stream.addEventListener('message', () => {
          if (stream.status !== 'open') return
          stream.send(lengthPrefixed(flood(1000)))
          void stream.close().catch(() => {})
        }, { once: true })
      })
      return sybil
    }))
    for (const peer of [...honest, ...sybils]) await victim.dial(peer.getMultiaddrs())
    await waitFor(() => victim.services.discovery.stats().pex.asked >= 6, { what: 'the victim asked its new peers for addresses', timeoutMs: 15_000 })
    // then the sybils push answers nobody asked for: 1000 addresses a time
    const pushes = sybils.map(async sybil => {
      for (let i = 0; i < 20 && sybil.getConnections(victim.peerId).length > 0; i++) {
        try {
          const stream = await sybil.dialProtocol(victim.peerId, PEX_PROTOCOL, { signal: AbortSignal.timeout(2000) })
          stream.send(lengthPrefixed(flood(1000)))
          await stream.close().catch(() => {})
        } catch {
          // refused once banned
        }
      }
    })
    await Promise.all(pushes)
    await waitFor(() => sybils.every(s => victim.services.scoring.isBanned(s.peerId)), { what: 'every pushing sybil banned' })
    const book = victim.services.discovery.addressBook
    const entries = book.sample(100_000)
    // the addresses they made up (the sybils themselves, connected, are in the book too)
    const sybilIds = new Set(sybils.map(sy => sy.peerId.toString()))
    const sybilGroup = entries.filter(e => e.group === 'ip4:127.170' && !sybilIds.has(e.peer)).length
    const stats = victim.services.discovery.stats()
    // one (address group, source group) pair maps to one bucket of 64 slots
    assert.ok(sybilGroup <= 64, `${sybilGroup} addresses of the sybils' /16 kept out of 3000 offered`)
    assert.ok(Object.values(stats.outboundByGroup).every(n => n <= 1), JSON.stringify(stats.outboundByGroup))
    for (const h of honest) {
      assert.ok(book.has(h.peerId.toString()), 'honest peers stay in the book')
      assert.ok(victim.getConnections(h.peerId).length > 0, 'honest peers stay connected')
    }
    const pushed = reports.filter(r => r.infraction === 'unrequested-data').length
    console.log(`      3000 sybil addresses offered, ${sybilGroup} kept (${entries.length} in the book); outbound by group ${JSON.stringify(stats.outboundByGroup)}; ` +
      `${pushed} unsolicited answers reported before the 3 sybils were banned`)
  })

  it('a gossip spammer over the rate limit is banned, and honest messages keep flowing', async () => {
    // a rate limit a little above what honest peers here send; rate-limit-exceeded weighs 20 (the default 5 takes 20 s to ban)
    const victim = await host('127.0.168.1', { gossip: { maxFramesPerSecond: 200 }, scoring: { infractions: { 'rate-limit-exceeded': 20 } }, discovery: false })
    const honest = await host('127.0.168.2', MEETS_ONLY_ITS_LINKS)
    const spammer = await host('127.0.168.3', MEETS_ONLY_ITS_LINKS)
    for (const h of [victim, honest, spammer]) h.services.gossip.subscribe('chat', { strategy: flood() })
    await honest.dial(victim.getMultiaddrs())
    await spammer.dial(victim.getMultiaddrs())
    await waitFor(() => victim.services.gossip.getSubscribers('chat').length === 2, { what: 'both peers subscribed' })
    const got: string[] = []
    victim.services.gossip.addEventListener('message', e => { got.push(text(e.detail.data)) })
    const started = Date.now()
    let spam = 0
    const spamming = (async () => {
      // bounded: 20 s at most, and it stops once cut off
      while (Date.now() - started < 20_000 && spammer.getConnections(victim.peerId).length > 0) {
        for (let i = 0; i < 100; i++) await spammer.services.gossip.publish('chat', bytes(`spam ${spam++}`))
        await new Promise(resolve => setTimeout(resolve, 5))
      }
    })()
    for (let i = 0; i < 10; i++) {
      await honest.services.gossip.publish('chat', bytes(`honest ${i}`))
      await new Promise(resolve => setTimeout(resolve, 100))
    }
    await spamming
    assert.ok(victim.services.scoring.isBanned(spammer.peerId), 'the spammer is banned')
    const bannedAfterMs = Date.now() - started
    await waitFor(() => Array.from({ length: 10 }, (_, i) => `honest ${i}`).every(m => got.includes(m)), { what: 'every honest message delivered' })
    console.log(`      spammer banned after ${spam} messages in ${bannedAfterMs} ms; ${got.filter(m => m.startsWith('spam')).length} spam delivered meanwhile, 10/10 honest`)
  })

  it('a peer that announces ids and never delivers is banned for stalling, and the real message still arrives from an honest announcer', async () => {
    const victim = await host('127.0.169.1', { discovery: false })
    const honest = await host('127.0.169.2', MEETS_ONLY_ITS_LINKS)
    const liar = await host('127.0.169.3', MEETS_ONLY_ITS_LINKS)
    const reports = watchReports(victim)
    for (const h of [victim, honest]) h.services.gossip.subscribe('inv', { strategy: announce({ requestTimeoutMs: 500 }) })
    await silenceGossip(liar)
    await honest.dial(victim.getMultiaddrs())
    await liar.dial(victim.getMultiaddrs())
    await waitFor(() => victim.services.gossip.getSubscribers('inv').length === 1, { what: 'the honest peer subscribed' })
    // the liar subscribes, then announces ids by the hundred (and the id of the honest message, first)
    const payload = bytes('the real thing')
    const realId = createHash('sha256').update(payload).digest()
    const stream = await liar.dialProtocol(victim.peerId, GOSSIP_PROTOCOL)
    const subscribe = bfield(1, concat([bfield(1, 'inv'), vfield(2, 1)]))
    const announceIds = (ids: Uint8Array[]): Uint8Array => bfield(3, concat([bfield(1, 'inv'), ...ids.map(id => bfield(2, id))]))
    stream.send(lengthPrefixed(subscribe))
    await waitFor(() => victim.services.gossip.getSubscribers('inv').length === 2, { what: 'the liar subscribed' })
    stream.send(lengthPrefixed(announceIds([realId])))
    const got = new Promise<string>(resolve => { victim.services.gossip.addEventListener('message', e => { resolve(text(e.detail.data)) }, { once: true }) })
    await new Promise(resolve => setTimeout(resolve, 50))
    await honest.services.gossip.publish('inv', payload)
    for (let round = 0; round < 10 && stream.status === 'open' && !victim.services.scoring.isBanned(liar.peerId); round++) {
      stream.send(lengthPrefixed(announceIds(Array.from({ length: 100 }, () => randomBytes(32)))))
      await new Promise(resolve => setTimeout(resolve, 300))
    }
    assert.equal(await got, 'the real thing', 'delivered by the honest announcer after the liar stalled')
    await waitFor(() => victim.services.scoring.isBanned(liar.peerId), { what: 'the liar banned', timeoutMs: 15_000 })
    const stalls = reports.filter(r => r.peer === liar.peerId.toString() && r.infraction === 'stalled').length
    console.log(`      the liar was banned after ${stalls} stalled requests; the real message came from the honest announcer`)
  })
})
