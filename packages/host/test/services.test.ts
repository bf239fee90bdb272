import assert from 'node:assert/strict'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CONNECTION_PING_INTERVAL_MS, createHost, InvalidOptionError, type Host } from '@hearsay/host'

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

  it("pings each connection with a stream every 5 minutes, not libp2p's 10 s, unless told otherwise (Yamux's keep-alive finds dead connections)", async () => {
    // libp2p keeps the interval in its connection monitor component; nothing public reads it
    const interval = (host: Host): unknown => (host as unknown as { components: { connectionMonitor: { pingIntervalMs: unknown } } }).components.connectionMonitor.pingIntervalMs
    const host = await createHost({ start: false })
    hosts.push(host)
    assert.equal(CONNECTION_PING_INTERVAL_MS, 5 * 60_000)
    assert.equal(interval(host), CONNECTION_PING_INTERVAL_MS)
    const eager = await createHost({ start: false, libp2p: { connectionMonitor: { pingInterval: 5000 } } })
    hosts.push(eager)
    assert.equal(interval(eager), 5000)
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
