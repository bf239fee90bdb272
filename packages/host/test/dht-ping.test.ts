import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { dhtComponents } from '../dist/dht-ping.js'
import type { KadDHTComponents } from '@libp2p/kad-dht'

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
      peerId: connectedPeer
    } as unknown as KadDHTComponents
    const wrapped = dhtComponents(components)
    assert.equal(await wrapped.ping.ping(connectedPeer), 7)
    await assert.rejects(wrapped.ping.ping(gonePeer), { name: 'NotConnectedError' })
    assert.deepEqual(pinged, [connectedPeer.toString()], 'only the connected peer was pinged (a ping of the other would have dialled it)')
    assert.equal(wrapped.connectionManager, components.connectionManager)
    assert.equal(wrapped.peerId, connectedPeer)
  })
})
