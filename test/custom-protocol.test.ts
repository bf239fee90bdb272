import assert from 'node:assert/strict'
import { createHost, type Host } from '@hearsay/host'
import { createTestnet, topologyEdges, type Edge, type Testnet } from '@hearsay/host/testnet'
import { seededRng } from '@hearsay/sansio'
import { KV_LIMITS, KV_PROTOCOL, compareVersions, encodeKvFrame, kv, valueHash, type Kv, type KvEntry } from '../examples/custom-protocol/src/index.ts'
import { onLoopback } from './helpers/loopback.ts'
import { waitFor } from './helpers/wait.ts'

type KvHost = Host<{ kv: Kv }>
type RawStream = Awaited<ReturnType<Host['dialProtocol']>>

const text = (s: string): Uint8Array<ArrayBuffer> => new TextEncoder().encode(s)
const read = (value: Uint8Array | undefined): string | undefined => value == null ? undefined : new TextDecoder().decode(value)

/** The later of two writes by the protocol's total order. */
function later (a: KvEntry, b: KvEntry): KvEntry {
  return compareVersions({ ...a, hash: valueHash(a) }, { ...b, hash: valueHash(b) }) > 0 ? a : b
}

/** A protobuf varint, to hand-craft length prefixes an honest peer would never send. */
function varint (n: number): Uint8Array {
  const bytes: number[] = []
  while (n >= 0x80) {
    bytes.push((n % 0x80) | 0x80)
    n = Math.floor(n / 0x80)
  }
  bytes.push(n)
  return Uint8Array.from(bytes)
}

describe('examples/custom-protocol: the replicated key-value store', function () {
  this.timeout(60_000)

  describe('on a 10-node in-memory testnet', () => {
    let net: Testnet<{ kv: Kv }> | undefined
    afterEach(async () => { await net?.stop() })

    it('two partitions converge inside, then all 10 converge after the partition heals', async () => {
      // two random connected halves of 5 nodes, no link between them
      const half = topologyEdges({ random: 2 }, 5, seededRng(12))
      const edges: Edge[] = [...half, ...half.map(([a, b]): Edge => [a + 5, b + 5])]
      // periodic sync off: pushes and the sync on connect must do it all
      net = await createTestnet<{ kv: Kv }>({ nodes: 10, topology: edges, seed: 12, host: { services: { kv: kv({ syncIntervalMs: 0 }) } } })
      const nodes = net.nodes
      const degree = (i: number): number => edges.filter(([a, b]) => a === i || b === i).length
      // (at least: the DHT may connect a node to more peers of its own half)
      await waitFor(() => nodes.every((n, i) => n.services.kv.stats().peers >= degree(i)), { what: 'kv peers identified' })

      nodes[0].services.kv.put('left', text('from node 0'))
      nodes[3].services.kv.put('gone', text('soon deleted'))
      nodes[3].services.kv.delete('gone')
      const leftWrite = nodes[1].services.kv.put('shared', text('left side'))
      const rightWrite = nodes[8].services.kv.put('shared', text('right side'))
      for (let i = 0; i < 20; i++) nodes[5 + (i % 5)].services.kv.put(`right-${i}`, text(`value ${i}`))

      const roots = (range: number[]): Set<string> => new Set(range.map(i => nodes[i].services.kv.root()))
      const left = [0, 1, 2, 3, 4]
      const right = [5, 6, 7, 8, 9]
      await waitFor(() => roots(left).size === 1 && roots(right).size === 1, { what: 'each half converged' })
      assert.notEqual([...roots(left)][0], [...roots(right)][0], 'the halves cannot see each other')
      assert.equal(read(nodes[4].services.kv.get('shared')), 'left side')
      assert.equal(read(nodes[9].services.kv.get('shared')), 'right side')

      await net.connect(2, 7)
      await waitFor(() => roots([...left, ...right]).size === 1, { what: 'all 10 converged after the heal' })
      const winner = read(later(leftWrite, rightWrite).value)
      for (const node of nodes) {
        const store = node.services.kv
        assert.equal(read(store.get('left')), 'from node 0')
        assert.equal(store.get('gone'), undefined)
        assert.equal(read(store.get('shared')), winner)
        assert.equal(store.keys().length, 22)
        assert.deepEqual(store.stats().infractions, {})
      }
      // let the last (redundant) pushes land before the nodes stop
      await waitFor(() => nodes.every(n => n.services.kv.stats().pending === 0 && n.services.kv.stats().syncs.active === 0), { what: 'pushes done' })
    })
  })

  describe('on real hosts over TCP', () => {
    const hosts: Host[] = []
    afterEach(async () => { await Promise.all(hosts.splice(0).map(async h => { await h.stop() })) })

    it('bad frames earn infractions and closed streams, and the node keeps serving', async () => {
      const start = async (n: number): Promise<KvHost> => {
        const host = await createHost({ ...onLoopback(180, n), services: { kv: kv({ syncIntervalMs: 0 }) } })
        hosts.push(host)
        return host
      }
      const a = await start(1)
      const b = await start(2)
      const c = await start(3)
      const attacker = await createHost(onLoopback(180, 4)) // speaks the protocol by hand
      hosts.push(attacker)
      await b.dial(a.getMultiaddrs())
      await c.dial(b.getMultiaddrs())
      await attacker.dial(a.getMultiaddrs())
      await waitFor(() => a.services.kv.stats().peers === 1 && b.services.kv.stats().peers === 2, { what: 'kv peers identified' })

      const strike = async (bytes: Uint8Array, infraction: string): Promise<RawStream> => {
        const before = a.services.kv.stats().infractions[infraction] ?? 0
        const stream = await attacker.dialProtocol(a.peerId, KV_PROTOCOL)
        stream.send(bytes)
        await waitFor(() => (a.services.kv.stats().infractions[infraction] ?? 0) === before + 1, { what: `a reported ${infraction}` })
        await waitFor(() => stream.status !== 'open', { what: 'the bad stream was closed' })
        return stream
      }
      // 1. a length prefix past the 1 MiB limit: refused before a byte of it is buffered
      await strike(varint(KV_LIMITS.maxFrameBytes + 1), 'oversized-frame')
      // 2. bytes that are no protobuf
      await strike(Uint8Array.of(5, 0x0a, 0xff, 0xff, 0xff, 0xff), 'malformed-frame')
      // 3. a well-formed push of an entry timestamped an hour ahead: it would win every write
      const future = encodeKvFrame({
        push: { entries: [{ key: 'hijack', value: text('mine'), deleted: false, wall: Date.now() + 3_600_000, counter: 0, node: attacker.peerId.toString() }] }
      })
      await strike(Uint8Array.from([...varint(future.byteLength), ...future]), 'invalid-message')
      assert.equal(a.services.kv.get('hijack'), undefined, 'nothing of the bad push was stored')
      const score = a.services.scoring.score(attacker.peerId)
      assert.ok(score >= 70, `50 + 10 + 20 points, decayed a little: ${score}`)
      assert.equal(a.services.scoring.isBanned(attacker.peerId), false)

      // a still serves honest peers: a write on c reaches a through b, and a sync with a works
      c.services.kv.put('after', text('the attack'))
      await waitFor(() => read(a.services.kv.get('after')) === 'the attack', { what: 'the write reached a' })
      const result = await b.services.kv.sync(a.peerId)
      assert.equal(result.buckets, 0, 'a and b already agree')
      assert.equal(new Set([a, b, c].map(h => h.services.kv.root())).size, 1)

      // one more oversized frame crosses the threshold of 100: banned and cut off
      const stream = await attacker.dialProtocol(a.peerId, KV_PROTOCOL)
      stream.send(varint(KV_LIMITS.maxFrameBytes * 4))
      await waitFor(() => a.services.scoring.isBanned(attacker.peerId), { what: 'the attacker banned' })
      await waitFor(() => a.getConnections(attacker.peerId).length === 0, { what: 'the attacker disconnected' })
      assert.equal(a.getConnections(b.peerId).length > 0, true, 'honest peers stay connected')
      await waitFor(() => [a, b, c].every(h => h.services.kv.stats().pending === 0), { what: 'pushes done' })
    })
  })
})
