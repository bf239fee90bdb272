import assert from 'node:assert/strict'
import { createHost, type Host } from '@hearsay/host'
import { FileSearch, QUERY_PROTOCOL, FLOOD_PROTOCOL, INDEX_PROTOCOL, type CatalogEntry, type SearchInit, type SearchVia } from '../packages/file-index/dist/search/index.js'
import type { PeerReporter } from '@hearsay/interface'
import { onLoopback } from './helpers/loopback.ts'
import { waitFor } from './helpers/wait.ts'

type SearchHost = Host<{ search: FileSearch }>

const UBUNTU_SERVER: CatalogEntry = { id: 'bafkreiubuntuserver2404', name: 'Ubuntu Server 24.04 ISO', size: 2_754_981_888 }
const UBUNTU_DESKTOP: CatalogEntry = { id: 'bafkreiubuntudesktop2404', name: 'Ubuntu Desktop 24.04 ISO', size: 6_114_656_256 }

describe('file search on real hosts', function () {
  this.timeout(60_000)
  const hosts: SearchHost[] = []
  const catalogs: CatalogEntry[][] = []
  const reports: Array<Array<{ infraction: string }>> = []

  after(async () => {
    await Promise.all(hosts.splice(0).map(async h => { await h.stop() }))
  })

  /** A host running FileSearch over an in-test catalog; its reports are recorded and passed on to scoring. */
  async function start (i: number, init: SearchInit, bootstrap: string[]): Promise<SearchHost> {
    const catalog: CatalogEntry[] = []
    const reported: Array<{ infraction: string }> = []
    catalogs[i] = catalog
    reports[i] = reported
    const host = await createHost({
      ...onLoopback(120 + i, 1),
      bootstrap,
      files: false,
      services: {
        search: (components: any) => {
          const scoring = components.scoring as PeerReporter | undefined
          const reporter: PeerReporter = {
            report: (peer, infraction, detail) => { reported.push({ infraction }); scoring?.report(peer, infraction, detail) },
            credit: (peer, reason) => { scoring?.credit(peer, reason) }
          }
          return new FileSearch(components, { ...init, reporter }, { entries: () => catalog })
        }
      }
    }) as SearchHost
    hosts[i] = host
    return host
  }

  async function add (i: number, entry: CatalogEntry): Promise<void> {
    catalogs[i].push(entry)
    await hosts[i].services.search.added(entry)
  }

  before(async () => {
    // host 0: the bootstrap host, and the central index
    const boot = await start(0, { central: { server: true } }, [])
    const bootAddr = boot.getMultiaddrs()[0].toString()
    await Promise.all(Array.from({ length: 9 }, async (_, k) => await start(k + 1, { central: { index: bootAddr } }, [bootAddr])))
    // a few more links than the star through the bootstrap host, so that floods take several hops
    for (let i = 1; i < 10; i++) await hosts[i].dial(hosts[(i % 9) + 1].getMultiaddrs())
    await waitFor(() => hosts.every(h => h.getConnections().length >= 2 && h.services.search.flood.router.peers.length >= 2),
      { what: 'every host connected to at least two search peers', timeoutMs: 15_000 })
    await add(7, UBUNTU_SERVER)
    await add(9, UBUNTU_SERVER)
    await add(4, UBUNTU_DESKTOP)
    await Promise.all([7, 9, 4].map(async i => {
      await hosts[i].services.search.dht.idle()
      await hosts[i].services.search.central.flushed()
    }))
  })

  for (const via of ['dht', 'flood', 'central'] as SearchVia[]) {
    it(`each search backend finds a file by a word of its name on a 10-host network: ${via}`, async () => {
      const searcher = hosts[2].services.search
      // a flood cannot tell when every answer is in, so it always waits its timeout: keep it short on loopback
      const timeoutMs = via === 'flood' ? 1_500 : 3_000
      let results = await searcher.search('server', { via, timeoutMs })
      if (results.length === 0 || results[0].providers < 2) {
        // the DHT may still be settling its routing tables; a second chance, then fail
        await waitFor(async () => {
          results = await searcher.search('server', { via, timeoutMs })
          return results.length > 0 && results[0].providers === 2
        }, { what: `${via} search for "server"`, timeoutMs: 15_000, intervalMs: 500 })
      }
      assert.equal(results.length, 1, JSON.stringify(results))
      const [hit] = results
      assert.equal(hit.id, UBUNTU_SERVER.id)
      assert.equal(hit.name, UBUNTU_SERVER.name)
      assert.equal(hit.size, UBUNTU_SERVER.size)
      assert.equal(hit.providers, 2, 'hosts 7 and 9 have it')
      assert.deepEqual(hit.peers?.map(p => p.toString()).sort(), [hosts[7].peerId.toString(), hosts[9].peerId.toString()].sort())

      // several words: all must match; case and punctuation do not matter
      const both = await searcher.search('UBUNTU, iso!', { via, timeoutMs })
      assert.deepEqual(both.map(r => r.id).sort(), [UBUNTU_DESKTOP.id, UBUNTU_SERVER.id].sort())
      assert.deepEqual((await searcher.search('server desktop', { via, timeoutMs })), [])
      assert.deepEqual(await hosts[7].services.search.search('server', { via, timeoutMs, limit: 5 }).then(r => r.map(x => x.providers)), [1], 'the asker does not count itself')
    })
  }

  it('a removed file is no longer found through the index, and garbage is reported while the node keeps serving', async () => {
    catalogs[9].splice(0)
    await hosts[9].services.search.removed(UBUNTU_SERVER.id)
    await hosts[9].services.search.central.flushed()
    const central = await hosts[2].services.search.search('server', { via: 'central' })
    assert.equal(central[0].providers, 1)

    for (const protocol of [QUERY_PROTOCOL, FLOOD_PROTOCOL, INDEX_PROTOCOL]) {
      const target = protocol === INDEX_PROTOCOL ? 0 : 7
      const stream = await hosts[8].dialProtocol(hosts[target].peerId, protocol)
      // a length prefix of 3, then bytes that are no protobuf
      stream.send(new Uint8Array([3, 0xff, 0xff, 0xff]))
      await stream.close().catch(() => {})
      await waitFor(() => reports[target].some(r => r.infraction === 'malformed-frame'),
        { what: `a malformed frame on ${protocol} reported`, timeoutMs: 5_000 })
    }
    const again = await hosts[8].services.search.search('server', { via: 'flood', timeoutMs: 1_500 })
    assert.equal(again[0]?.id, UBUNTU_SERVER.id, 'host 7 still answers')
  })
})
