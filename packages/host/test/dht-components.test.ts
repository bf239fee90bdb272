import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { dhtComponents, withSelfQueryOfPeers, withUnresponsivePeersRemoved, withoutClosestPeerTagger } from '../dist/dht-components.js'
import type { PeerStore } from '@libp2p/interface'
import type { KadDHT, KadDHTComponents } from '@libp2p/kad-dht'

describe('dhtComponents', () => {
  it("gives the DHT a ping that never dials: a peer without an open connection is unanswered, a connected one is pinged; every other component passes through", async () => {
    const connectedPeer = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    const gonePeer = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    const pinged: string[] = []
    const components = {
      connectionManager: {
        getConnections: (peer: { toString: () => string }) => peer.toString() === connectedPeer.toString()
          ? [{ status: 'closing' }, { status: 'open' }]
          : [{ status: 'closed' }]
      },
      ping: { ping: async (peer: { toString: () => string }) => { pinged.push(peer.toString()); return await Promise.resolve(7) } },
      peerStore: {},
      peerId: connectedPeer
    } as unknown as KadDHTComponents
    const wrapped = dhtComponents(components)
    assert.equal(await wrapped.ping.ping(connectedPeer), 7)
    await assert.rejects(wrapped.ping.ping(gonePeer), { name: 'NotConnectedError' })
    assert.deepEqual(pinged, [connectedPeer.toString()], 'only the connected peer was pinged (a ping of the other would have dialled it)')
    assert.equal(wrapped.connectionManager, components.connectionManager)
    assert.equal(wrapped.peerId, connectedPeer)
  })

  it("gives the DHT a peer store that never takes its closest-peer tags: such a write is dropped, clears a tag left from before, and every other write passes through", async () => {
    const tagged = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    const clean = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    const merges: Array<{ peer: string, data: unknown }> = []
    const stored = (peer: { toString: () => string }): { tags: Map<string, { value: number }> } => ({
      tags: new Map(peer.toString() === tagged.toString() ? [['keep-alive-kad-dht', { value: 1 }], ['kad-close', { value: 50 }]] : [['kad-peer', { value: 1 }]])
    })
    const peerStore = {
      get: async (peer: { toString: () => string }) => await Promise.resolve(stored(peer)),
      merge: async (peer: { toString: () => string }, data: unknown) => { merges.push({ peer: peer.toString(), data }); return await Promise.resolve(stored(peer)) },
      has: async () => await Promise.resolve(true)
    }
    const wrapped = dhtComponents({ peerStore } as unknown as KadDHTComponents)
    // what kad-dht's closest-peer tagger writes when `clean` joins its closest peers, and leaves them
    const joins = { tags: { 'kad-close': { value: 50 }, 'keep-alive-kad-dht': { value: 1 } } }
    const leaves = { tags: { 'kad-close': undefined, 'keep-alive-kad-dht': undefined } }
    assert.deepEqual(await wrapped.peerStore.merge(clean, joins), stored(clean), 'answers with the peer as stored')
    await wrapped.peerStore.merge(clean, leaves)
    assert.deepEqual(merges, [], 'no write for a peer without those tags')
    // a peer tagged by an older version (a dataDir's peer store): the tags go
    await wrapped.peerStore.merge(tagged, joins)
    assert.deepEqual(merges, [{ peer: tagged.toString(), data: leaves }])
    // the routing table's own tag, and writes mixing both, pass through minus the closest-peer tags
    merges.length = 0
    await wrapped.peerStore.merge(clean, { tags: { 'kad-peer': { value: 1 } } })
    await wrapped.peerStore.merge(clean, { multiaddrs: [], tags: { 'kad-close': { value: 50 }, other: { value: 2 } } })
    assert.deepEqual(merges, [
      { peer: clean.toString(), data: { tags: { 'kad-peer': { value: 1 } } } },
      { peer: clean.toString(), data: { multiaddrs: [], tags: { other: { value: 2 } } } }
    ])
    assert.equal(await wrapped.peerStore.has(clean), true, 'every other method passes through')
  })

  it('stops the DHT\'s closest-peer tagger once the DHT has started, clears the tags it left in the peer store before, and starts a DHT without one as before', async () => {
    const calls: string[] = []
    const stale = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    const untagged = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    const merges: Array<{ peer: string, data: unknown }> = []
    const peers = [
      { id: stale, tags: new Map([['keep-alive-kad-dht', { value: 1 }], ['kad-close', { value: 50 }]]) },
      { id: untagged, tags: new Map([['kad-peer', { value: 1 }]]) }
    ]
    const peerStore = {
      all: async (query: { filters: Array<(peer: typeof peers[number]) => boolean> }) => await Promise.resolve(peers.filter(peer => query.filters.every(f => f(peer)))),
      merge: async (peer: { toString: () => string }, data: unknown) => { merges.push({ peer: peer.toString(), data }); return await Promise.resolve({}) }
    }
    const dht = {
      routingTable: { closestPeerTagger: { stop: () => { calls.push('tagger stopped') } } },
      start: async () => { await Promise.resolve(); calls.push('started') },
      getMode: () => 'server'
    }
    const wrapped = withoutClosestPeerTagger(dht as unknown as KadDHT, peerStore as unknown as PeerStore) as unknown as typeof dht
    await wrapped.start()
    assert.deepEqual(calls, ['started', 'tagger stopped'])
    // the clearing runs in the background: let its promises settle
    for (let i = 0; i < 10 && merges.length === 0; i++) await new Promise(resolve => setImmediate(resolve))
    assert.deepEqual(merges, [{ peer: stale.toString(), data: { tags: { 'keep-alive-kad-dht': undefined, 'kad-close': undefined } } }], 'only the peer with the tags, both cleared')
    assert.equal(wrapped.getMode(), 'server', 'every other method passes through')
    const other = withoutClosestPeerTagger({ start: async () => { await Promise.resolve(); calls.push('other started') } } as unknown as KadDHT, peerStore as unknown as PeerStore) as unknown as typeof dht
    await other.start()
    assert.deepEqual(calls.slice(2), ['other started'])
  })

  it('makes a periodic self-query count the peers it found, not every event of its lookup, and leaves the first self-query and a DHT without one as they are', async () => {
    const lookup = ['DIAL_PEER', 'DIAL_PEER', 'SEND_QUERY', 'PEER_RESPONSE', 'QUERY_ERROR', 'FINAL_PEER', 'FINAL_PEER']
    let produced = 0
    const routing = {
      getClosestPeers: async function * () {
        for (const name of lookup) {
          produced++
          yield await Promise.resolve({ name })
        }
      },
      other: () => 'routing'
    }
    const querySelf: { initialQuerySelfHasRun?: object, peerRouting: typeof routing } = { initialQuerySelfHasRun: {}, peerRouting: routing }
    const dht = { querySelf }
    assert.equal(withSelfQueryOfPeers(dht as unknown as KadDHT), dht as unknown as KadDHT, 'patched in place')
    // as @libp2p/kad-dht 16's QuerySelf reads it: the first `count` events, here 2
    const selfQuery = async (count: number): Promise<string[]> => {
      const names: string[] = []
      for await (const event of querySelf.peerRouting.getClosestPeers()) {
        names.push(event.name)
        if (names.length === count) break
      }
      return names
    }
    assert.deepEqual(await selfQuery(2), ['DIAL_PEER', 'DIAL_PEER'], 'the first self-query, which other queries wait for, as before')
    assert.equal(produced, 2)
    produced = 0
    querySelf.initialQuerySelfHasRun = undefined
    assert.deepEqual(await selfQuery(2), ['FINAL_PEER', 'FINAL_PEER'], 'a later one: the peers found, after the whole lookup')
    assert.equal(produced, lookup.length, 'the whole lookup ran')
    assert.equal(querySelf.peerRouting.other(), 'routing', 'the rest of peer routing passes through')
    const plain = { start: async () => {} }
    assert.equal(withSelfQueryOfPeers(plain as unknown as KadDHT), plain as unknown as KadDHT, 'a DHT without a self-query is left alone')
  })

  it('makes the routing table forget a peer that failed a request with no connection open to it, and keeps one still connected, one whose request its caller abandoned, and one that answered', async () => {
    const [gone, busy, abandoned, answering] = await Promise.all([0, 1, 2, 3].map(async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519'))))
    const removed: string[] = []
    const connection = (peer: { toString: () => string }): Array<{ status: string }> => peer.toString() === busy.toString() ? [{ status: 'open' }] : [{ status: 'closed' }]
    const dht = {
      network: {
        // as @libp2p/kad-dht 16's Network: a dial event, then an error or a response
        async * sendRequest (to: { toString: () => string }, _message?: object, _options?: { signal?: AbortSignal }) {
          yield { name: 'DIAL_PEER' }
          await Promise.resolve()
          yield to.toString() === answering.toString() ? { name: 'PEER_RESPONSE' } : { name: 'QUERY_ERROR' }
        }
      },
      routingTable: { remove: async (peer: { toString: () => string }) => { removed.push(peer.toString()); await Promise.resolve() } }
    }
    assert.equal(withUnresponsivePeersRemoved(dht as unknown as KadDHT, { connectionManager: { getConnections: connection } } as unknown as KadDHTComponents), dht as unknown as KadDHT, 'patched in place')
    const request = async (peer: typeof gone, signal?: AbortSignal): Promise<string[]> => {
      const names: string[] = []
      for await (const event of dht.network.sendRequest(peer, {}, { signal })) names.push(event.name)
      return names
    }
    assert.deepEqual(await request(gone), ['DIAL_PEER', 'QUERY_ERROR'], 'every event reaches the query as before')
    await request(busy)
    await request(abandoned, AbortSignal.abort())
    assert.deepEqual(await request(answering), ['DIAL_PEER', 'PEER_RESPONSE'])
    assert.deepEqual(removed, [gone.toString()])
    const plain = { start: async () => {} }
    assert.equal(withUnresponsivePeersRemoved(plain as unknown as KadDHT, {} as unknown as KadDHTComponents), plain as unknown as KadDHT, 'a DHT without those parts is left alone')
  })
})
