import assert from 'node:assert/strict'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createHost, InvalidOptionError, type Host } from '@hearsay/host'

const ALL = ['identify', 'ping', 'dht', 'scoring', 'gossip', 'discovery', 'files']

describe('createHost services', () => {
  const hosts: Host[] = []
  let dir: string

  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'hearsay-services-')) })
  afterEach(async () => {
    await Promise.all(hosts.splice(0).map(async h => { await h.stop() }))
    await rm(dir, { recursive: true, force: true })
  })

  it('runs the seven default services unless told otherwise', async () => {
    const host = await createHost({ start: false })
    hosts.push(host)
    for (const name of ALL) assert.ok((host.services as Record<string, unknown>)[name] != null, name)
  })

  it('leaves out each service set to false, in the running node and in its type', async () => {
    const host = await createHost({ gossip: false, files: false, discovery: false, scoring: false, dataDir: dir })
    hosts.push(host)
    const present = ALL.filter(name => (host.services as Record<string, unknown>)[name] != null)
    assert.deepEqual(present, ['identify', 'ping', 'dht'])
    // a service left out is typed `never`: using it does not compile
    // @ts-expect-error gossip was left out
    assert.equal(host.services.gossip?.publish, undefined)
    // what is kept stays typed
    assert.equal(typeof host.services.dht.findPeer, 'function')
    // no file store grows in the data directory of a node without files
    assert.ok(!(await readdir(dir)).includes('files'), 'no files/ store')
  })

  it("runs no connection monitor, libp2p's ping stream per connection end, unless told to (Yamux's keep-alive measures round trips and finds dead connections)", async () => {
    // libp2p keeps its connection monitor as a component (reading one that is not set throws);
    // nothing public reads it
    const monitor = (host: Host): { pingIntervalMs: unknown } | undefined => {
      try {
        return (host as unknown as { components: { connectionMonitor: { pingIntervalMs: unknown } } }).components.connectionMonitor
      } catch (err: any) {
        if (err?.name === 'MissingServiceError') return undefined
        throw err
      }
    }
    const host = await createHost({ start: false })
    hosts.push(host)
    assert.equal(monitor(host), undefined)
    const monitored = await createHost({ start: false, libp2p: { connectionMonitor: { pingInterval: 5000 } } })
    hosts.push(monitored)
    assert.equal(monitor(monitored)?.pingIntervalMs, 5000)
  })

  it('runs with no service at all', async () => {
    const host = await createHost({ identify: false, ping: false, dht: false, scoring: false, gossip: false, discovery: false, files: false })
    hosts.push(host)
    assert.deepEqual(ALL.filter(name => (host.services as Record<string, unknown>)[name] != null), [])
    assert.ok(host.getMultiaddrs().length > 0)
  })

  it('names the option when a service is left out that another one needs', async () => {
    const cases: Array<[Parameters<typeof createHost>[0], string]> = [
      [{ dht: false }, 'dht'],
      [{ identify: false }, 'identify'],
      [{ ping: false, files: false }, 'ping']
    ]
    for (const [options, option] of cases) {
      await assert.rejects(createHost({ ...options, start: false }), (err: any) => {
        assert.ok(err instanceof InvalidOptionError)
        assert.equal(err.option, option)
        return true
      })
    }
  })
})
