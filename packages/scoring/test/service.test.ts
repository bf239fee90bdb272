import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { DEFAULT_BAN_PREFIX, encodeBan, scoring, type Ban, type PeerUnbanned, type Scoring, type ScoringInit } from '@hearsay/scoring'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { MemoryDatastore } from 'datastore-core'
import { LevelDatastore } from 'datastore-level'
import { Key, type Datastore } from 'interface-datastore'
import { createLibp2p } from 'libp2p'
import type { PeerReporter } from '@hearsay/interface'
import type { Libp2p, PeerId, PrivateKey } from '@libp2p/interface'

type Node = Libp2p<{ scoring: Scoring }>

interface NodeOptions {
  scoring?: ScoringInit
  datastore?: Datastore
  privateKey?: PrivateKey
  /** Listen (and dial from) this loopback IP, so nodes can differ by IP on one host. */
  ip?: string
}

const nodes: Node[] = []
const cleanups: Array<() => Promise<void>> = []

/** A real libp2p node: TCP on loopback, Noise, Yamux, identify, ping and scoring. */
async function createNode (options: NodeOptions = {}): Promise<Node & { privateKey: PrivateKey }> {
  const ip = options.ip ?? '127.0.0.1'
  const s = scoring(options.scoring)
  const captured: { key?: PrivateKey } = {}
  const node = await createLibp2p({
    privateKey: options.privateKey,
    datastore: options.datastore,
    addresses: { listen: [`/ip4/${ip}/tcp/0`] },
    // localAddress is a net.connect option the TCP transport passes through
    transports: [tcp({ dialOpts: { localAddress: ip } as any })],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: s.connectionGater,
    services: {
      scoring: s,
      identify: identify(),
      ping: ping(),
      // a service sees the node's components: keep the key so a "restart" can reuse it
      key: (components: { privateKey: PrivateKey }) => { captured.key = components.privateKey; return {} }
    }
  })
  nodes.push(node)
  if (captured.key == null) throw new Error('the key service did not run')
  return Object.assign(node, { privateKey: captured.key })
}

/** Poll `condition` every 20 ms for at most `ms`. */
async function eventually (condition: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`)
    await sleep(20)
  }
}

/** The next `type` event from the node's scoring service, or a failure after `ms`. */
function nextEvent<T> (node: Node, type: 'peer:banned' | 'peer:unbanned', ms = 3000): Promise<T> {
  const event = new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error(`no ${type} within ${ms} ms`)) }, ms)
    node.services.scoring.addEventListener(type, (event: any) => {
      clearTimeout(timer)
      resolve(event.detail as T)
    }, { once: true })
  })
  // a test that fails before awaiting the event must not leave an unhandled rejection behind
  event.catch(() => {})
  return event
}

function addr (node: Node): Multiaddr {
  return node.getMultiaddrs()[0]
}

/** The node's address without `/p2p/<id>`, so a dial learns the peer only from the handshake. */
function bareAddr (node: Node): Multiaddr {
  return multiaddr(addr(node).toString().replace(/\/p2p\/[^/]+$/, ''))
}

/** `from` dials `to` and both see the connection (the listener's side may finish a moment later). */
async function connect (from: Node, to: Node, target: Multiaddr = addr(to)): Promise<void> {
  await from.dial(target)
  await eventually(() => bothConnected(from, to), 1000, 'both sides see the connection')
}

function bothConnected (a: Node, b: Node): boolean {
  return a.getConnections(b.peerId).length > 0 && b.getConnections(a.peerId).length > 0
}

function connected (a: Node, b: Node): boolean {
  return a.getConnections(b.peerId).length > 0 || b.getConnections(a.peerId).length > 0
}

/**
 * `b` cannot connect to `a` and `a` cannot connect to `b`. Noise negotiates the muxer inside
 * its handshake, so `b`'s dial may resolve for the moment `a` takes to refuse the connection
 * right after the handshake; what counts is that `a` never opens it and it does not survive.
 */
async function assertRefused (a: Node, b: Node): Promise<void> {
  let opened = 0
  const onOpen = (event: CustomEvent<{ remotePeer: PeerId }>): void => {
    if (event.detail.remotePeer.equals(b.peerId)) opened++
  }
  a.addEventListener('connection:open', onOpen)
  try {
    await b.dial(addr(a)).catch(() => {})
    await assert.rejects(a.dial(b.peerId), 'we dial the banned peer by id')
    await assert.rejects(a.dial(addr(b)), 'we dial the banned peer by address')
    await assert.rejects(a.dial(bareAddr(b)), 'we dial an address that turns out to be the banned peer')
    await eventually(() => !connected(a, b), 1000, 'no connection between the two')
    assert.equal(opened, 0, 'the refused node never opened a connection to the banned peer')
  } finally {
    a.removeEventListener('connection:open', onOpen)
  }
}

function banKey (peer: PeerId): Key {
  return new Key(`${DEFAULT_BAN_PREFIX}/${peer.toString()}`)
}

describe('scoring service', function () {
  this.timeout(20_000)

  afterEach(async () => {
    await Promise.all(nodes.splice(0).map(async node => { await node.stop() }))
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  })

  it('disconnects a peer pushed over the threshold within 1 s and refuses it both ways', async () => {
    const a = await createNode()
    const b = await createNode()
    await connect(b, a)

    const banned = nextEvent<Ban>(a, 'peer:banned')
    for (let i = 0; i < 4; i++) a.services.scoring.report(b.peerId, 'invalid-message', 'bad signature')
    // a few ms of real time decay the points a hair below 80 (half-life 1 h)
    assert.ok(Math.abs(a.services.scoring.score(b.peerId) - 80) < 0.01)
    assert.equal(a.services.scoring.isBanned(b.peerId), false)
    a.services.scoring.report(b.peerId, 'invalid-message', 'bad signature')

    const ban = await banned
    assert.ok(ban.peerId.equals(b.peerId))
    assert.match(ban.reason, /invalid-message: bad signature/)
    assert.equal(ban.manual, false)
    assert.ok(ban.until - ban.since === 24 * 60 * 60 * 1000)
    assert.equal(a.services.scoring.isBanned(b.peerId), true)
    await eventually(() => !connected(a, b), 1000, 'the banned peer is disconnected')

    await assertRefused(a, b)
  })

  it('still refuses the peer after a restart with the same datastore and key', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hearsay-scoring-'))
    cleanups.push(async () => { await rm(dir, { recursive: true, force: true }) })
    const first = new LevelDatastore(join(dir, 'datastore'))
    await first.open()
    cleanups.push(async () => { await first.close() })

    const a1 = await createNode({ datastore: first })
    const b = await createNode()
    await connect(b, a1)
    const banned = nextEvent<Ban>(a1, 'peer:banned')
    a1.services.scoring.report(b.peerId, 'bad-piece', 'hash mismatch on piece 3')
    await banned
    await a1.stop()
    await first.close()

    const second = new LevelDatastore(join(dir, 'datastore'))
    await second.open()
    cleanups.push(async () => { await second.close() })
    const a2 = await createNode({ datastore: second, privateKey: a1.privateKey })
    assert.ok(a2.peerId.equals(a1.peerId))
    assert.equal(a2.services.scoring.isBanned(b.peerId), true)
    const [ban] = a2.services.scoring.list()
    assert.ok(ban.peerId.equals(b.peerId))
    assert.match(ban.reason, /bad-piece: hash mismatch on piece 3/)

    await assertRefused(a2, b)
  })

  it('lets the peer back in once the ban expires, without a restart', async () => {
    const datastore = new MemoryDatastore()
    const a = await createNode({ datastore, scoring: { banDurationMs: 500 } })
    const b = await createNode()
    await connect(b, a)
    const banned = nextEvent<Ban>(a, 'peer:banned')
    const unbanned = nextEvent<PeerUnbanned>(a, 'peer:unbanned')
    a.services.scoring.report(b.peerId, 'oversized-frame')
    a.services.scoring.report(b.peerId, 'oversized-frame')
    await banned
    await eventually(() => !connected(a, b), 1000, 'the banned peer is disconnected')
    assert.equal(await datastore.has(banKey(b.peerId)), true)
    await assertRefused(a, b)

    const lifted = await unbanned
    assert.ok(lifted.peerId.equals(b.peerId))
    assert.equal(lifted.reason, 'expired')
    assert.equal(a.services.scoring.isBanned(b.peerId), false)
    await eventually(async () => !(await datastore.has(banKey(b.peerId))), 1000, 'the persisted ban is deleted')

    await connect(b, a)
    await b.hangUp(a.peerId)
    await eventually(() => !connected(a, b), 1000, 'hang up')
    await connect(a, b)
    assert.ok(connected(a, b))
  })

  it('bans and unbans by hand, with events, and persists both', async () => {
    const datastore = new MemoryDatastore()
    const a = await createNode({ datastore })
    const b = await createNode()
    await connect(b, a)

    const bannedEvent = nextEvent<Ban>(a, 'peer:banned')
    const ban = await a.services.scoring.ban(b.peerId, { reason: 'spam in #general', durationMs: 60_000 })
    assert.ok(ban != null)
    assert.equal(ban.reason, 'spam in #general')
    assert.equal(ban.manual, true)
    assert.equal(ban.until - ban.since, 60_000)
    assert.deepEqual(await bannedEvent, ban)
    assert.equal(await datastore.has(banKey(b.peerId)), true, 'persisted when ban() resolves')
    assert.deepEqual(a.services.scoring.list().map(ban => ban.peerId.toString()), [b.peerId.toString()])
    await eventually(() => !connected(a, b), 1000, 'the banned peer is disconnected')

    const unbannedEvent = nextEvent<PeerUnbanned>(a, 'peer:unbanned')
    assert.equal(await a.services.scoring.unban(b.peerId), true)
    assert.equal(await a.services.scoring.unban(b.peerId), false)
    const lifted = await unbannedEvent
    assert.equal(lifted.reason, 'unbanned')
    assert.equal(lifted.ban.reason, 'spam in #general')
    assert.equal(await datastore.has(banKey(b.peerId)), false, 'deleted when unban() resolves')
    assert.deepEqual(a.services.scoring.list(), [])
    await connect(b, a)
  })

  it('never bans an allow-listed peer', async () => {
    const b = await createNode()
    const a = await createNode({ scoring: { allow: [b.peerId] } })
    await connect(b, a)
    a.services.scoring.report(b.peerId, 'bad-piece')
    assert.equal(await a.services.scoring.ban(b.peerId), undefined)
    assert.equal(a.services.scoring.isBanned(b.peerId), false)
    // scores decay on the system clock here (1 h half-life): a slow machine loses a few millionths
    assert.ok(Math.abs(a.services.scoring.score(b.peerId) - 100) < 0.01, `score ${a.services.scoring.score(b.peerId)}`)
    await sleep(100)
    assert.ok(connected(a, b))
  })

  it('skips garbage persisted records at start, and drops expired ones', async () => {
    const victim = await createNode()
    const expired = await createNode()
    const datastore = new MemoryDatastore()
    const now = Date.now()
    const valid = { peer: victim.peerId.toString(), reason: 'from a past run', since: now - 1000, until: now + 60_000, strikes: 2, ips: [], manual: false }
    await datastore.put(banKey(victim.peerId), encodeBan(valid))
    await datastore.put(banKey(expired.peerId), encodeBan({ ...valid, peer: expired.peerId.toString(), until: now - 1 }))
    const garbage: Array<[string, Uint8Array]> = [
      ['not-json', new TextEncoder().encode('{"v":1,')],
      ['not-utf8', Uint8Array.from([0xff, 0xfe, 0x00])],
      ['wrong-version', new TextEncoder().encode(JSON.stringify({ ...valid, v: 99 }))],
      ['missing-fields', new TextEncoder().encode(JSON.stringify({ v: 1, peer: 'x' }))],
      ['mismatched-key', encodeBan(valid)],
      ['not-a-peer-id', encodeBan({ ...valid, peer: 'not-a-peer-id' })]
    ]
    for (const [name, bytes] of garbage) await datastore.put(new Key(`${DEFAULT_BAN_PREFIX}/${name}`), bytes)

    const a = await createNode({ datastore })
    assert.deepEqual(a.services.scoring.list().map(ban => [ban.peerId.toString(), ban.strikes]), [[victim.peerId.toString(), 2]])
    assert.equal(a.services.scoring.isBanned(expired.peerId), false)
    await eventually(async () => !(await datastore.has(banKey(expired.peerId))), 1000, 'the expired ban is deleted')
    await assertRefused(a, victim)
    await connect(expired, a)
  })

  it('refuses the IPs of repeat offenders, and only those IPs', async () => {
    const a = await createNode({ scoring: { banIpAfter: 1 } })
    const b = await createNode({ ip: '127.0.0.2' })
    await connect(b, a)
    const banned = nextEvent<Ban>(a, 'peer:banned')
    a.services.scoring.report(b.peerId, 'bad-piece')
    assert.deepEqual((await banned).ips, ['127.0.0.2'])

    // a new identity on the same IP is refused; another IP is not
    const sybil = await createNode({ ip: '127.0.0.2' })
    await assert.rejects(sybil.dial(addr(a)), 'refused as soon as the socket is accepted')
    await assert.rejects(a.dial(addr(sybil)), 'we do not dial the IP either')
    const other = await createNode({ ip: '127.0.0.3' })
    await connect(other, a)
  })

  it('writes reputations as peer-store tags for the connection pruner', async () => {
    const a = await createNode({ scoring: { tagDebounceMs: 10 } })
    const b = await createNode()
    await connect(b, a)
    const tag = async (): Promise<number | undefined> => {
      if (!(await a.peerStore.has(b.peerId))) return undefined
      return (await a.peerStore.get(b.peerId)).tags.get('hearsay-score')?.value
    }
    await eventually(async () => await tag() === 50, 1000, 'a neutral tag on connect')
    for (let i = 0; i < 10; i++) a.services.scoring.credit(b.peerId, 'first-delivery')
    await eventually(async () => await tag() === 60, 1000, 'credit raises the tag')
    a.services.scoring.report(b.peerId, 'oversized-frame')
    await eventually(async () => await tag() === 35, 1000, 'an infraction lowers the tag')
    assert.equal(a.services.scoring.reputation(b.peerId), 35)
  })

  it('bans over a custom infraction reported from an application protocol (the README example)', async () => {
    const a = await createNode({ scoring: { infractions: { 'invalid-vote': 25 } } })
    const b = await createNode()
    const reporter: PeerReporter = a.services.scoring
    await a.handle('/my-app/vote/1.0.0', async (stream, connection) => {
      let text = ''
      for await (const chunk of stream) {
        text += new TextDecoder().decode(chunk.subarray())
        if (text.length > 16) break
      }
      if (text === 'yes' || text === 'no') {
        reporter.credit(connection.remotePeer, 'valid-vote')
      } else {
        reporter.report(connection.remotePeer, 'invalid-vote', `got ${JSON.stringify(text.slice(0, 16))}`)
      }
      await stream.close()
    })
    const vote = async (text: string): Promise<void> => {
      const stream = await b.dialProtocol(addr(a), '/my-app/vote/1.0.0')
      stream.send(new TextEncoder().encode(text))
      await stream.close()
    }
    await vote('yes')
    await eventually(() => a.services.scoring.reputation(b.peerId) === 51, 1000, 'a valid vote is credited')
    const banned = nextEvent<Ban>(a, 'peer:banned')
    for (let i = 0; i < 4; i++) await vote('maybe')
    assert.match((await banned).reason, /invalid-vote: got "maybe"/)
    await eventually(() => !connected(a, b), 1000, 'the peer is disconnected')
    await assert.rejects(vote('yes'))
  })

  it('never throws from report or credit, and ignores reports about itself', async () => {
    const a = await createNode()
    assert.doesNotThrow(() => { a.services.scoring.report(undefined as any, 'malformed-frame') })
    assert.doesNotThrow(() => { a.services.scoring.credit(null as any, 'x') })
    a.services.scoring.report(a.peerId, 'bad-piece')
    assert.equal(a.services.scoring.isBanned(a.peerId), false)
    assert.equal(a.services.scoring.infractions()['bad-piece'], 100)
  })

  it('exposes a gater that refuses nothing before its service exists', async () => {
    const s = scoring()
    const b = await createNode()
    assert.equal(await s.connectionGater.denyDialPeer?.(b.peerId), false)
    assert.equal(await s.connectionGater.denyDialMultiaddr?.(addr(b)), false)
    assert.throws(() => scoring({ threshold: -1 }), { name: 'ScoringOptionError' })
  })
})
