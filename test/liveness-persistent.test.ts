import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createHost, type Host } from '@hearsay/host'
import { flood } from '@hearsay/gossip'
import { multiaddr } from '@multiformats/multiaddr'
import { JsonProcess } from '../examples/demo/src/process.ts'
import type { FuzzCase } from './helpers/fuzz.ts'
import { Pinger, writeCase } from './helpers/hostile.ts'
import { at, seededBytes } from './helpers/hostile-targets.ts'
import { waitFor } from './helpers/wait.ts'

const nodeScript = fileURLToPath(new URL('./helpers/persistent-node.ts', import.meta.url))

/** The junk of the liveness report, as fuzz cases: each is written on a stream of its own. */
function junkCases (): FuzzCase[] {
  const cases: FuzzCase[] = []
  const push = (kind: FuzzCase['kind'], label: string, chunks: Uint8Array[], closeWrite: boolean): void => {
    cases.push({ kind, label, chunks, closeWrite, mustReport: false })
  }
  for (const closeWrite of [true, false]) {
    const how = closeWrite ? 'closed' : 'aborted'
    push('random-bytes', `64 random bytes, ${how}`, [randomBytes(64)], closeWrite)
    push('random-bytes', `70 KB of random bytes, ${how}`, [randomBytes(70_000)], closeWrite)
    // a 5-byte varint of 2^31: a length no protocol allows
    push('huge-length', `varint length 2^31, ${how}`, [Uint8Array.from([0x80, 0x80, 0x80, 0x80, 0x08])], closeWrite)
    push('empty-stream', `empty frames, ${how}`, [Uint8Array.from([0, 0, 0])], closeWrite)
  }
  return cases
}

/** Inbound streams `host` holds on its connections to `peer`, per protocol. */
function openStreams (host: Host, peer: Host['peerId']): Record<string, number> {
  const out: Record<string, number> = {}
  for (const stream of host.getConnections(peer).flatMap(c => c.streams)) {
    out[stream.protocol ?? '?'] = (out[stream.protocol ?? '?'] ?? 0) + 1
  }
  return out
}

describe('liveness: a persistent node in its own process keeps serving honest peers', function () {
  this.timeout(120_000)
  let node: JsonProcess
  let dir: string
  const hosts: Host[] = []

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hearsay-liveness-'))
  })

  after(async () => {
    await node?.killHard()
    await Promise.all(hosts.map(async h => { await h.stop() }))
    await rm(dir, { recursive: true, force: true })
  })

  it('honest pings, downloads and gossip keep succeeding while junk arrives on every /hearsay/* protocol, and finished streams are released on both sides', async () => {
    node = new JsonProcess('persistent node', nodeScript, [dir, '127.0.180.1'])
    const listening = await node.waitFor(e => e.event === 'listening', 20_000)
    const nodeAddr = multiaddr(String((listening.addrs as string[])[0]))

    const honest = await createHost({ ...at('127.0.180.2'), discovery: false })
    const junk = await createHost({ ...at('127.0.180.3'), discovery: false, files: false })
    hosts.push(honest, junk)
    const nodeId = (await honest.dial(nodeAddr)).remotePeer
    await junk.dial(nodeAddr)

    // pings back to back: on a LevelDB-backed node each used to leave its stream half open, and the
    // fifth found @libp2p/ping's inbound limit (4) used up
    const pinger = new Pinger(honest, nodeId, { intervalMs: 100, limitMs: 3000, maxPings: 400 }).start()

    // the regression alone first: before the fix, the fifth of these failed
    await waitFor(() => pinger.pings >= 20, { what: '20 honest pings', timeoutMs: 30_000 })

    let protocols: string[] = []
    await waitFor(async () => {
      protocols = (await junk.peerStore.get(nodeId)).protocols.filter(p => p.startsWith('/hearsay/'))
      return protocols.length >= 5
    }, { what: 'the node\'s /hearsay/* protocols, learned through identify' })

    const banned = node.waitFor(e => e.event === 'banned' && e.peer === junk.peerId.toString(), 60_000)
    banned.catch(() => {})
    const outcomes: Record<string, number> = {}
    for (let round = 0; round < 3; round++) {
      for (const protocol of protocols) {
        for (const c of junkCases()) {
          const real = await writeCase(junk, nodeId, protocol, c, 50)
          outcomes[real] = (outcomes[real] ?? 0) + 1
        }
      }
    }
    console.log(`      junk cases by outcome: ${JSON.stringify(outcomes)}`)
    await banned

    // honest requests after the junk: a verified download and a gossip delivery
    node.send({ cmd: 'add', size: 1024 * 1024, seed: 'liveness', name: 'liveness.bin' })
    const added = await node.waitFor(e => e.event === 'added', 20_000)
    const got = await honest.services.files.get(String(added.id), { dht: false, signal: AbortSignal.timeout(30_000) })
    assert.deepEqual(await honest.services.files.cat(got.id), seededBytes(1024 * 1024, 'liveness'))

    const topic = 'liveness'
    const delivered = new Promise<string>(resolve => {
      honest.services.gossip.addEventListener('message', event => { if (event.detail.topic === topic) resolve(new TextDecoder().decode(event.detail.data)) })
    })
    honest.services.gossip.subscribe(topic, { strategy: flood() })
    node.send({ cmd: 'subscribe', topic })
    await waitFor(() => honest.services.gossip.getSubscribers(topic).length === 1, { what: 'the node subscribed' })
    node.send({ cmd: 'publish', topic, text: 'still here' })
    assert.equal(await delivered, 'still here')

    const summary = await pinger.stop()
    const worst = summary.maxMs.toFixed(0)
    console.log(`      honest pings: ${summary.pings - summary.failures.length}/${summary.pings} succeeded, worst ${worst} ms`)
    assert.deepEqual(summary.failures, [], 'every honest ping succeeds')

    // every ping stream both sides closed is gone on this side (the node's side is in its own process:
    // a stream left half open there would have refused the pings above)
    await waitFor(() => (openStreams(honest, nodeId)['/ipfs/ping/1.0.0'] ?? 0) === 0, { what: 'no ping stream left open', timeoutMs: 5000 })
  })
})
