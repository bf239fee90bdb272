import assert from 'node:assert/strict'
import { multiaddr } from '@multiformats/multiaddr'
import { bootstrapAddrs, describeBootstrapAddrs } from '../src/bootstrap-addrs.ts'

const ME = '12D3KooWDMX7oJ6nvuiC89Vswqt7Y6HzQHqrkT77aZTb5vXARgzL'
const RELAY = '12D3KooWJzQ5w3bUhQPxXhZZKBKTjLFFwC5yK46p65HgyFSpG4if'

describe('what a node can tell others to --bootstrap from', () => {
  it('names how each address is known, best first: confirmed, announced, relayed, local', () => {
    const list = bootstrapAddrs([
      multiaddr(`/ip4/127.0.0.1/tcp/4001/p2p/${ME}`),
      multiaddr(`/ip4/192.168.1.2/tcp/4001/p2p/${ME}`),
      multiaddr(`/ip4/11.0.0.1/tcp/4001/p2p/${RELAY}/p2p-circuit/p2p/${ME}`),
      multiaddr(`/ip4/41.0.0.1/tcp/4001/p2p/${ME}`),
      multiaddr(`/dns4/share.example.org/tcp/4001/p2p/${ME}`)
    ], ['/dns4/share.example.org/tcp/4001'])
    assert.deepEqual(list.map(a => a.kind), ['confirmed', 'announced', 'relayed', 'local', 'local'])
    assert.equal(list[0].addr, `/ip4/41.0.0.1/tcp/4001/p2p/${ME}`)
    assert.equal(list[1].addr, `/dns4/share.example.org/tcp/4001/p2p/${ME}`)
  })

  it('an announced address stays "announced" even when it is a private one', () => {
    assert.deepEqual(bootstrapAddrs([multiaddr(`/ip4/10.1.2.3/tcp/4001/p2p/${ME}`)], ['/ip4/10.1.2.3/tcp/4001']).map(a => a.kind), ['announced'])
  })

  it('says so when there is nothing to give others yet', () => {
    assert.match(describeBootstrapAddrs([]), /none yet/)
    assert.equal(describeBootstrapAddrs([{ addr: `/ip4/41.0.0.1/tcp/4001/p2p/${ME}`, kind: 'confirmed' }]), `  /ip4/41.0.0.1/tcp/4001/p2p/${ME}  (public, confirmed by peers)`)
  })
})
