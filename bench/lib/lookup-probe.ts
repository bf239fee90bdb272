/**
 * DHT lookups on real TCP hosts in one process, for finding where a lookup's time goes:
 * `node bench/lib/lookup-probe.ts [hosts=50] [lookups=20] [disjointPaths] [alpha]` (the last two
 * set `@libp2p/kad-dht`'s, 10 and 10 by default, to compare what a lookup costs). Default hosts on
 * distinct loopback addresses, linked as a seeded random graph of degree ≥ 4 and left 5 s to fill
 * their routing tables (as the `files` bench's DHT part), then one `getClosestPeers` of a random
 * key at a time from host 0, 1, 2, …: each lookup's time and CPU (this process, all threads), how
 * many requests it sent, how many of the K truly closest hosts (by SHA-256 XOR distance) it
 * returned, and every request's time apart for a peer already connected and one that needed a
 * dial; then the connections all hosts hold right after the last lookup, and once the ones the
 * lookups dialled have been idle long enough to be closed. Runtime flags pass through
 * (`node --cpu-prof bench/lib/lookup-probe.ts` profiles it). Not a scenario: nothing is written to
 * `bench/results`.
 *
 * @module
 */
import { createHash, randomBytes } from 'node:crypto'
import { createHost, LOOKUP_CONNECTION_IDLE_MS, type Host } from '@hearsay/host'
import { topologyEdges } from '@hearsay/host/testnet'
import { seededRng } from '@hearsay/sansio'
import { quantile } from './report.ts'

const n = Number(process.argv[2] ?? 50)
const lookups = Number(process.argv[3] ?? 20)
const disjointPaths = process.argv[4] == null ? undefined : Number(process.argv[4])
const alpha = process.argv[5] == null ? undefined : Number(process.argv[5])
const positive = (x: number | undefined): boolean => x == null || (Number.isInteger(x) && x >= 1)
if (!(Number.isInteger(n) && n >= 2 && n <= 250 && Number.isInteger(lookups) && lookups >= 1 && positive(disjointPaths) && positive(alpha))) {
  console.error('usage: node bench/lib/lookup-probe.ts [hosts 2-250] [lookups ≥ 1] [disjointPaths ≥ 1] [alpha ≥ 1]')
  process.exit(2)
}

/** kad-dht's bucket size: a lookup's answer is the K closest peers it found */
const K = 20
const nodes: Host[] = []
try {
  for (let i = 0; i < n; i++) {
    const at = `127.0.91.${i + 1}`
    nodes.push(await createHost({ listen: [`/ip4/${at}/tcp/0`], dialFrom: at, dht: { disjointPaths, alpha } }))
  }
  await Promise.all(topologyEdges({ random: 4 }, n, seededRng(7)).map(async ([a, b]) => { await nodes[a].dial(nodes[b].getMultiaddrs()) }))
  await new Promise(resolve => setTimeout(resolve, 5000))

  // every request the DHT sends, timed through its (private) network's sendRequest
  const onOpen: number[] = []
  const withDial: number[] = []
  for (const host of nodes) {
    const network = (host.services.dht as any).network
    const sendRequest = network.sendRequest.bind(network)
    network.sendRequest = async function * (to: Host['peerId'], message: unknown, options: unknown) {
      const started = performance.now()
      const connected = host.getConnections(to).length > 0
      try {
        for await (const event of sendRequest(to, message, options)) yield event
      } finally {
        (connected ? onOpen : withDial).push(performance.now() - started)
      }
    }
  }

  const times: number[] = []
  const requests: number[] = []
  const hits: number[] = []
  // Kademlia's distance: both ids hashed with SHA-256, XORed; the true K closest of all hosts but the querier
  const kadId = (bytes: Uint8Array): Buffer => createHash('sha256').update(bytes).digest()
  const trueClosest = (key: Uint8Array, querier: Host): string[] => {
    const target = kadId(key)
    return nodes.filter(h => h !== querier)
      .map(h => ({ id: h.peerId.toString(), d: Buffer.from(kadId(h.peerId.toMultihash().bytes).map((b, i) => b ^ target[i])) }))
      .sort((a, b) => Buffer.compare(a.d, b.d)).slice(0, K).map(x => x.id)
  }
  for (let r = 0; r < lookups; r++) {
    const host = nodes[r % n]
    const before = onOpen.length + withDial.length
    const connections = nodes.reduce((sum, h) => sum + h.getConnections().length, 0) / 2
    const cpuBefore = process.cpuUsage()
    const started = performance.now()
    const key = randomBytes(32)
    const found = new Set<string>()
    for await (const event of host.services.dht.getClosestPeers(key)) {
      if (event.name === 'FINAL_PEER') found.add(event.peer.id.toString())
    }
    const ms = performance.now() - started
    const cpu = process.cpuUsage(cpuBefore)
    times.push(ms)
    requests.push(onOpen.length + withDial.length - before)
    const right = trueClosest(key, host).filter(id => found.has(id)).length
    hits.push(right)
    console.log(`lookup ${r}: ${ms.toFixed(0)} ms, CPU ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms, ${requests[r]} requests, ${right} of the ${K} closest found, ${connections} connections before`)
  }
  console.log(`lookups p50 ${quantile(times, 0.5).toFixed(0)} ms, p90 ${quantile(times, 0.9).toFixed(0)} ms; requests per lookup p50 ${quantile(requests, 0.5)}; of the ${K} closest peers found, p50 ${quantile(hits, 0.5)}, min ${Math.min(...hits)}`)
  console.log(`requests to a connected peer: ${onOpen.length}, p50 ${quantile(onOpen, 0.5).toFixed(1)} ms, p90 ${quantile(onOpen, 0.9).toFixed(1)} ms; with a dial: ${withDial.length}, p50 ${quantile(withDial, 0.5).toFixed(1)} ms, p90 ${quantile(withDial, 0.9).toFixed(1)} ms`)
  // the connections the lookups dialled are the hosts' to close once idle (LOOKUP_CONNECTION_IDLE_MS)
  const count = (): number => nodes.reduce((sum, h) => sum + h.getConnections().length, 0) / 2
  console.log(`connections after the last lookup: ${count()}`)
  await new Promise(resolve => setTimeout(resolve, LOOKUP_CONNECTION_IDLE_MS + 15_000))
  console.log(`connections ${(LOOKUP_CONNECTION_IDLE_MS + 15_000) / 1000} s later: ${count()}`)
} finally {
  await Promise.all(nodes.map(async h => { await h.stop() }))
}
