import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createHost, type Host } from '@hearsay/host'
import { ManualClock } from '@hearsay/sansio'
import {
  PIECES_PROTOCOL, encodeFrame, decodeFrame, frameDecoder, encodeManifest, manifestOf, Bitfield,
  fileIndex, type FileIndex, type FileIndexInit, type GetProgressEvents
} from '@hearsay/file-index'
import { onLoopback } from './helpers/loopback.ts'
import { waitFor } from './helpers/wait.ts'

type FilesHost = Host<{ files: FileIndex }>

const MiB = 1024 * 1024

describe('file index on real hosts', function () {
  this.timeout(60_000)
  const hosts: Host[] = []
  const dirs: string[] = []
  afterEach(async () => {
    await Promise.all(hosts.splice(0).map(async h => { await h.stop() }))
    await Promise.all(dirs.splice(0).map(async d => { await rm(d, { recursive: true, force: true }) }))
  })

  async function filesHost (subnet: number, n: number, init: FileIndexInit = {}): Promise<FilesHost> {
    const host = await createHost<{ files: FileIndex }>({ ...onLoopback(subnet, n), services: { files: fileIndex(init) } })
    hosts.push(host)
    return host
  }

  async function tempDir (): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'hearsay-files-'))
    dirs.push(dir)
    return dir
  }

  it('a 20 MiB file on 3 seeders downloads byte-identical on a 4th host with pieces from all 3, written atomically to out', async () => {
    const data = randomBytes(20 * MiB)
    const seeders = await Promise.all([1, 2, 3].map(async n => await filesHost(110, n)))
    const ids = await Promise.all(seeders.map(async s => await s.services.files.add(data, { name: 'random.bin' })))
    assert.equal(new Set(ids).size, 1, 'the same content and name give the same id everywhere')
    const downloader = await filesHost(110, 4)
    await Promise.all(seeders.map(async s => { await downloader.dial(s.getMultiaddrs()) }))
    const dir = await tempDir()
    const out = join(dir, 'random.bin')
    const events: string[] = []
    const result = await downloader.services.files.get(ids[0], { out, onProgress: (e: GetProgressEvents) => { events.push(e.type) } })
    assert.deepEqual(await readFile(out), data)
    assert.equal(result.path, out)
    assert.equal(result.size, data.byteLength)
    assert.equal(result.piecesFetched, 80)
    const from = seeders.map(s => result.fromPeers[s.peerId.toString()] ?? 0)
    assert.ok(from.every(bytes => bytes > 0), `pieces from every seeder: ${from.join(', ')}`)
    assert.equal(from.reduce((a, b) => a + b, 0), data.byteLength)
    assert.ok(events.includes('files:get:manifest') && events.includes('files:get:progress') && events.includes('files:get:done'))
    assert.ok(downloader.services.files.list().some(f => f.id === ids[0] && f.complete))
    // the downloader now serves it too
    assert.deepEqual(await downloader.services.files.cat(ids[0]), new Uint8Array(data))
  })

  it('a seeder serving corrupted pieces is banned and the download still completes correctly', async () => {
    const data = randomBytes(4 * MiB)
    const good = await filesHost(111, 1, { uploadBytesPerSecond: 8 * MiB })
    const id = await good.services.files.add(data, { name: 'x.bin' })
    // the corrupt seeder: a plain host with a raw handler that answers like a full seeder, with wrong bytes
    const manifestBytes = encodeManifest(manifestOf(data, 'x.bin'))
    const pieces = Math.ceil(data.byteLength / (256 * 1024))
    const evil = await createHost({ ...onLoopback(111, 2), files: false })
    hosts.push(evil)
    let served = 0
    await evil.handle(PIECES_PROTOCOL, (stream) => {
      const decoder = frameDecoder(4096)
      stream.addEventListener('message', event => {
        for (const bytes of decoder.decode(event.data)) {
          const decoded = decodeFrame(bytes)
          if (!decoded.ok) continue
          const frame = decoded.frame
          if (frame.type === 'hello') {
            if (frame.wantManifest) stream.send(encodeFrame({ type: 'manifest', manifest: manifestBytes }))
            stream.send(encodeFrame({ type: 'bitfield', bits: Bitfield.full(pieces).bytes }))
          } else if (frame.type === 'request') {
            served++
            stream.send(encodeFrame({ type: 'piece', index: frame.index, offset: frame.offset, data: randomBytes(frame.length) }))
          }
        }
      })
    })
    const downloader = await filesHost(111, 3)
    await downloader.dial(evil.getMultiaddrs())
    await downloader.dial(good.getMultiaddrs())
    const bad: number[] = []
    const result = await downloader.services.files.get(id, {
      dht: false,
      onProgress: (e: GetProgressEvents) => { if (e.type === 'files:get:bad-piece') bad.push(e.detail.index) }
    })
    assert.deepEqual(await downloader.services.files.cat(id), new Uint8Array(data))
    assert.ok(served >= 1 && bad.length >= 1, `the corrupt seeder served ${served} pieces, ${bad.length} caught`)
    assert.ok(downloader.services.scoring.isBanned(evil.peerId), 'the corrupt seeder is banned')
    assert.equal(result.fromPeers[evil.peerId.toString()] ?? 0, 0)
    await waitFor(() => downloader.getConnections(evil.peerId).length === 0, { what: 'the banned peer disconnected' })
  })

  it('killing a seeder mid-download does not stop it', async () => {
    const data = randomBytes(12 * MiB)
    const seeders = await Promise.all([1, 2, 3].map(async n => await filesHost(112, n, { uploadBytesPerSecond: 6 * MiB })))
    const id = (await Promise.all(seeders.map(async s => await s.services.files.add(data, { name: 'k.bin' }))))[0]
    const downloader = await filesHost(112, 4)
    await Promise.all(seeders.map(async s => { await downloader.dial(s.getMultiaddrs()) }))
    let killed: Promise<void> | undefined
    const result = await downloader.services.files.get(id, {
      onProgress: (e: GetProgressEvents) => {
        if (e.type === 'files:get:progress' && e.detail.piecesDone >= 12 && killed == null) killed = Promise.resolve(seeders[0].stop())
      }
    })
    await killed
    assert.ok(killed != null, 'a seeder was stopped mid-download')
    assert.deepEqual(await downloader.services.files.cat(id), new Uint8Array(data))
    const rest = seeders.slice(1).map(s => result.fromPeers[s.peerId.toString()] ?? 0)
    assert.ok(rest.every(b => b > 0))
  })

  it('a restarted downloader resumes without re-fetching verified pieces', async () => {
    const data = randomBytes(8 * MiB)
    const seeder = await filesHost(113, 1, { uploadBytesPerSecond: 8 * MiB })
    const id = await seeder.services.files.add(data, { name: 'r.bin' })
    const dataDir = await tempDir()
    const first = await filesHost(113, 2, { dataDir })
    await first.dial(seeder.getMultiaddrs())
    const controller = new AbortController()
    await assert.rejects(first.services.files.get(id, {
      signal: controller.signal,
      onProgress: (e: GetProgressEvents) => { if (e.type === 'files:get:progress' && e.detail.piecesDone >= 12) controller.abort() }
    }))
    const held = first.services.files.list().find(f => f.id === id)?.piecesHave ?? 0
    assert.ok(held >= 12 && held < 32, `${held} pieces held at the abort`)
    await first.stop()

    const second = await filesHost(113, 3, { dataDir })
    const listed = second.services.files.list().find(f => f.id === id)
    assert.equal(listed?.piecesHave, held, 'verified pieces survived the restart')
    assert.equal(listed?.complete, false)
    await second.dial(seeder.getMultiaddrs())
    const out = join(dataDir, 'r.bin')
    const result = await second.services.files.get(id, { out })
    assert.equal(result.piecesFetched, 32 - held, 'only the missing pieces were fetched')
    assert.deepEqual(await readFile(out), data)
  })

  it('finds a provider through the DHT when not connected to it', async () => {
    const data = randomBytes(1 * MiB)
    const nodes = await Promise.all([1, 2, 3, 4].map(async n => await filesHost(114, n)))
    // a line: 0 - 1 - 2 - 3; the seeder is 0, the downloader 3
    for (let i = 0; i < 3; i++) await nodes[i + 1].dial(nodes[i].getMultiaddrs())
    await waitFor(async () => {
      let n = 0
      for await (const _ of nodes[1].services.dht.getClosestPeers(nodes[1].peerId.toMultihash().bytes, { signal: AbortSignal.timeout(2000) })) n++
      return n > 0
    }, { what: 'the DHT has peers', timeoutMs: 15_000 })
    const id = await nodes[0].services.files.add(data, { name: 'dht.bin', provide: false })
    await nodes[0].services.files.provide(id)
    const result = await nodes[3].services.files.get(id)
    assert.deepEqual(await nodes[3].services.files.cat(id), new Uint8Array(data))
    assert.ok((result.fromPeers[nodes[0].peerId.toString()] ?? 0) > 0)
  })

  it('pieces never go over a relayed connection unless both ends allow it with overRelay', async () => {
    // a relay server, a seeder with a reservation on it, and downloaders that reach the seeder
    // only through the relay (no discovery: nobody dials the seeder's own addresses)
    const plain = { discovery: false as const, dht: { clientMode: true } }
    const relay = await createHost({ ...onLoopback(48, 1), discovery: false, nat: { relayServer: {}, relayClient: false, dcutr: false, autonat: false } })
    hosts.push(relay)
    const seeder = await createHost<{ files: FileIndex }>({
      ...onLoopback(48, 2), ...plain, files: false, nat: { dcutr: false, autonat: false },
      bootstrap: [relay.getMultiaddrs()[0].toString()], services: { files: fileIndex({ overRelay: true }) }
    })
    hosts.push(seeder)
    // a relay address proper (the bare /p2p-circuit listen address shows before the reservation)
    const viaRelay = (): ReturnType<Host['getMultiaddrs']>[number] | undefined => seeder.getMultiaddrs().find(a => a.toString().startsWith('/ip4/') && a.toString().includes('/p2p-circuit'))
    await waitFor(() => viaRelay() != null, { what: 'a reservation on the relay', timeoutMs: 20_000 })
    const circuit = viaRelay()!
    const data = randomBytes(64 * 1024)
    const id = await seeder.services.files.add(data, { name: 'small.bin', provide: false })

    const fetchOverRelay = async (n: number, overRelay: boolean): Promise<FilesHost> => {
      const getter = await createHost<{ files: FileIndex }>({ ...onLoopback(48, n), ...plain, files: false, nat: { dcutr: false, autonat: false }, services: { files: fileIndex({ overRelay }) } })
      hosts.push(getter)
      const connection = await getter.dial(circuit)
      assert.ok(connection.limits != null, 'the only connection to the seeder is relayed')
      return getter
    }

    const refused = await fetchOverRelay(3, false)
    await assert.rejects(refused.services.files.get(id, { dht: false, signal: AbortSignal.timeout(3000) }), 'no piece stream opens on a relayed connection by default')

    const allowed = await fetchOverRelay(4, true)
    await allowed.services.files.get(id, { dht: false, signal: AbortSignal.timeout(15_000) })
    assert.deepEqual(await allowed.services.files.cat(id), new Uint8Array(data))
    assert.ok(allowed.getConnections(seeder.peerId).every(c => c.limits != null), 'and it came over the relay')
  })

  it('a download that reached the seeder only over a relay starts on the direct connection as soon as it opens, not after its back-off', async () => {
    // as behind two NATs: the first connection is relayed, DCUtR's direct one comes a little
    // later (on loopback nothing punches: the test dials it). The downloader's clock never moves,
    // so the back-off after the relayed attempt never ends: only the direct connection's event
    // can start the session.
    const plain = { discovery: false as const, dht: { clientMode: true }, files: false as const, nat: { dcutr: false, autonat: false } }
    const relay = await createHost({ ...onLoopback(49, 1), discovery: false, nat: { relayServer: {}, relayClient: false, dcutr: false, autonat: false } })
    hosts.push(relay)
    const seeder = await createHost<{ files: FileIndex }>({ ...onLoopback(49, 2), ...plain, bootstrap: [relay.getMultiaddrs()[0].toString()], services: { files: fileIndex() } })
    hosts.push(seeder)
    const circuit = (): ReturnType<Host['getMultiaddrs']>[number] | undefined => seeder.getMultiaddrs().find(a => a.toString().startsWith('/ip4/') && a.toString().includes('/p2p-circuit'))
    await waitFor(() => circuit() != null, { what: 'a reservation on the relay', timeoutMs: 20_000 })
    const data = randomBytes(300 * 1024)
    const id = await seeder.services.files.add(data, { name: 'punched.bin', provide: false })
    const clock = new ManualClock()
    // the seeder's own address cannot be dialled until the "punch" (a NAT): the gater refuses it
    const direct = seeder.getMultiaddrs().filter(a => !a.toString().includes('/p2p-circuit'))
    let natted = true
    let refused = 0
    const getter = await createHost<{ files: FileIndex }>({
      ...onLoopback(49, 3),
      ...plain,
      services: { files: fileIndex({ clock }) },
      libp2p: {
        connectionGater: {
          denyDialMultiaddr: ma => {
            const deny = natted && !ma.toString().includes('/p2p-circuit') && ma.toString().startsWith(direct[0].decapsulate('/p2p').toString())
            if (deny) refused++
            return deny
          }
        }
      }
    })
    hosts.push(getter)

    const order: string[] = []
    getter.addEventListener('connection:open', event => {
      if (event.detail.remotePeer.equals(seeder.peerId)) order.push(event.detail.limits != null ? 'relayed' : 'direct')
    })
    await getter.dial(circuit()!)
    // identify over the relayed connection tells the getter the seeder's own address
    await waitFor(async () => (await getter.peerStore.get(seeder.peerId)).addresses.some(a => !a.multiaddr.toString().includes('/p2p-circuit')), { what: 'the seeder\'s direct address' })
    const got = getter.services.files.get(id, { dht: false, signal: AbortSignal.timeout(20_000), onProgress: (e: GetProgressEvents) => { order.push(e.type) } })
    // the download's own attempt dials the seeder's direct address only (not another circuit),
    // and that fails
    await waitFor(() => refused >= 1, { what: 'the download tried the direct address' })
    natted = false
    await getter.dial(direct)
    const result = await got
    assert.deepEqual(await getter.services.files.cat(id), new Uint8Array(data))
    assert.equal(result.fromPeers[seeder.peerId.toString()], data.byteLength)
    assert.equal(clock.now(), 0, 'no back-off ended')
    assert.deepEqual(order.filter(o => o === 'direct' || o === 'files:get:manifest'), ['direct', 'files:get:manifest'], `the session started on the direct connection: ${order.join(', ')}`)
    assert.equal(order.filter(o => o === 'relayed').length, 1, `no second circuit set up for the download: ${order.join(', ')}`)
  })
})
