import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { multiaddr } from '@multiformats/multiaddr'
import { ObservedAddresses, type ObservedAddressesComponents } from '@hearsay/host'

/**
 * The components, and an address manager as libp2p hands every service one, recording what it is
 * told, so a test sees that nothing is announced.
 */
function components (): ObservedAddressesComponents & { added: string[], addressManager: { addObservedAddr: (addr: ReturnType<typeof multiaddr>) => void } } {
  const added: string[] = []
  return {
    added,
    events: new EventTarget() as any,
    logger: { forComponent: () => Object.assign(() => {}, { error: () => {}, trace: () => {}, enabled: false }) } as any,
    addressManager: { addObservedAddr: (addr) => { added.push(addr.toString()) } }
  }
}

const mapping = multiaddr('/ip4/41.0.0.1/tcp/40123')

describe('ObservedAddresses', () => {
  it('trusts an address once peers in three different netgroups report it, and not before', () => {
    const c = components()
    const observed = new ObservedAddresses(c)
    observed.report(mapping, '4:11')
    observed.report(mapping, '4:11')
    observed.report(mapping, '4:23')
    assert.deepEqual(observed.trusted(), [], 'two netgroups are not enough, however often one repeats itself')
    observed.report(mapping, '4:37')
    assert.deepEqual(observed.trusted().map(String), [mapping.toString()])
  })

  it('keeps a trusted address to itself: it is never handed to the address manager to announce', () => {
    const c = components()
    const observed = new ObservedAddresses(c)
    for (const group of ['4:11', '4:23', '4:37', '4:53']) observed.report(mapping, group)
    assert.equal(observed.trusted().length, 1)
    assert.deepEqual(c.added, [])
  })

  it('does not trust addresses that disagree (a symmetric NAT gives each peer another port)', () => {
    const observed = new ObservedAddresses(components())
    observed.report(multiaddr('/ip4/41.0.0.1/tcp/1001'), '4:11')
    observed.report(multiaddr('/ip4/41.0.0.1/tcp/1002'), '4:23')
    observed.report(multiaddr('/ip4/41.0.0.1/tcp/1003'), '4:37')
    assert.deepEqual(observed.trusted(), [])
  })

  it('lets trust expire unless peers keep reporting the address', async () => {
    const observed = new ObservedAddresses(components(), { ttlMs: 50 })
    for (const group of ['4:11', '4:23', '4:37']) observed.report(mapping, group)
    assert.equal(observed.trusted().length, 1)
    await sleep(120)
    assert.deepEqual(observed.trusted(), [])
    observed.report(mapping, '4:61')
    assert.equal(observed.trusted().length, 1, 'a later report from an agreeing netgroup restores it')
  })
})
