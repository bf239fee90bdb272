import assert from 'node:assert/strict'
import { multiaddr } from '@multiformats/multiaddr'
import { createHost, hideLoopbackWhenReachable } from '@hearsay/host'

const RELAY = '12D3KooWJbRHticchuucC6uQqa8CWrEy5SQCT1jUJok4S8z9AJJa'
const addrs = (...list: string[]): ReturnType<typeof multiaddr>[] => list.map(a => multiaddr(a))

describe('announced addresses', () => {
  it('drop loopback, and relay addresses through a relay on loopback, when the host listens off loopback', () => {
    const kept = hideLoopbackWhenReachable(addrs('/ip4/0.0.0.0/tcp/4001'))(addrs(
      '/ip4/127.0.0.1/tcp/4001',
      '/ip6/::1/tcp/4001',
      '/ip4/192.168.1.2/tcp/4001',
      `/ip4/127.0.0.1/tcp/4001/p2p/${RELAY}/p2p-circuit`,
      `/ip4/11.0.0.1/tcp/4001/p2p/${RELAY}/p2p-circuit`
    ))
    assert.deepEqual(kept.map(String), ['/ip4/192.168.1.2/tcp/4001', `/ip4/11.0.0.1/tcp/4001/p2p/${RELAY}/p2p-circuit`])
  })

  it('keep everything on a host that listens on loopback only, whatever it announces or relays through', () => {
    const all = addrs('/ip4/127.0.0.1/tcp/4001', '/ip4/127.0.3.4/tcp/4002', '/ip6/::1/tcp/4001', '/dns4/share.example.org/tcp/4001', `/ip4/11.0.0.1/tcp/4001/p2p/${RELAY}/p2p-circuit`)
    assert.deepEqual(hideLoopbackWhenReachable(addrs('/ip4/127.0.0.1/tcp/4001', '/ip6/::1/tcp/4001', '/memory/a'))(all).map(String), all.map(String))
  })

  it('of a host on loopback that announces a public address list both', async () => {
    const host = await createHost({ announce: ['/ip4/203.0.113.7/tcp/4001'], nat: false, dht: false, files: false })
    try {
      const listed = host.getMultiaddrs().map(a => a.toString().split('/p2p/')[0])
      assert.ok(listed.includes('/ip4/203.0.113.7/tcp/4001'), listed.join(' '))
      assert.ok(listed.some(a => a.startsWith('/ip4/127.0.0.1/tcp/')), listed.join(' '))
    } finally {
      await host.stop()
    }
  })
})
