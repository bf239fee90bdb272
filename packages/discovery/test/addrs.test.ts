import assert from 'node:assert/strict'
import { multiaddr } from '@multiformats/multiaddr'
import { addrString, usableAddrs } from '@hearsay/discovery/address-book'

const RELAY = '12D3KooWJzQ5w3bUhQPxXhZZKBKTjLFFwC5yK46p65HgyFSpG4if'
const PEER = '12D3KooWDMX7oJ6nvuiC89Vswqt7Y6HzQHqrkT77aZTb5vXARgzL'

describe('discovery: addresses as the address book keeps them', () => {
  it('drops the peer\'s own trailing /p2p', () => {
    assert.equal(addrString(multiaddr(`/ip4/23.0.0.1/tcp/4001/p2p/${PEER}`)), '/ip4/23.0.0.1/tcp/4001')
    assert.equal(addrString(multiaddr('/ip4/23.0.0.1/tcp/4001')), '/ip4/23.0.0.1/tcp/4001')
  })

  it('never turns a relayed address into the relay\'s own (it would be handed out under the relayed peer\'s id)', () => {
    // what identify reports for a peer holding a reservation, with and without its own id
    assert.equal(addrString(multiaddr(`/ip4/23.0.0.1/tcp/4001/p2p/${RELAY}/p2p-circuit`)), undefined)
    assert.equal(addrString(multiaddr(`/ip4/23.0.0.1/tcp/4001/p2p/${RELAY}/p2p-circuit/p2p/${PEER}`)), undefined)
    assert.deepEqual(usableAddrs([
      multiaddr(`/ip4/23.0.0.1/tcp/4001/p2p/${RELAY}/p2p-circuit`),
      multiaddr('/ip4/41.0.0.1/tcp/42603'),
      multiaddr('/ip4/0.0.0.0/tcp/4001')
    ]), ['/ip4/41.0.0.1/tcp/42603'])
  })
})
