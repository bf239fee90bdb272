import { createHash, randomBytes } from 'node:crypto'
import { loadavg } from 'node:os'
import { multiaddr } from '@multiformats/multiaddr'
import { seededRng } from '@hearsay/sansio'
import { createHost, type Host } from '@hearsay/host'
import { topologyEdges } from '@hearsay/host/testnet'
import { DEFAULT_PIECE_SIZE, fileIndex, parseFileId, type FileIndex, type FileIndexInit } from '@hearsay/file-index'
import { benchData, cpuDuring, FilesPeer, receiveRaw, settle } from '../lib/files-peers.ts'
import { markdownTable, quantile, type Figure, type Scenario } from '../lib/report.ts'

type FilesHost = Host<{ files: FileIndex }>

const MB = 1_000_000
const MiB = 1024 * 1024

/**
 * `files`: the piece protocol against the raw single-stream ceiling between two hosts in the
 * same run; one seeder → one downloader; one, two and four throttled seeders → one downloader;
 * duplicate piece bytes; and the DHT on 50 hosts: provide and find-providers times.
 */
export const filesScenario: Scenario = {
  name: 'files',
  description: 'file download vs the raw libp2p stream ceiling, 1, 2 and 4 throttled seeders, duplicates, DHT provide/find on 50 hosts',
  async run ({ quick, log }) {
    const size = quick ? 32 * MiB : 128 * MiB
    // the one 128 MiB file for the throttled runs too: four seeders fetch it in under two
    // seconds, and a smaller file lets start-up (manifest, first requests) weigh on the ratio
    const throttledSize = quick ? 16 * MiB : size
    const dhtHosts = quick ? 20 : 50
    const dhtFiles = quick ? 5 : 20
    // other work on the machine moves every figure here: the load is part of the record
    const loadAtStart = loadavg()[0]
    let ip = 0
    const nextIp = (): string => { ip++; return `127.0.${60 + Math.floor(ip / 250)}.${(ip % 250) + 1}` }
    const hosts: Host[] = []
    const host = async (init: FileIndexInit = {}): Promise<FilesHost> => {
      const at = nextIp()
      const h = await createHost<{ files: FileIndex }>({ listen: [`/ip4/${at}/tcp/0`], dialFrom: at, services: { files: fileIndex(init) } })
      hosts.push(h)
      return h
    }
    const stopAll = async (): Promise<void> => { await Promise.all(hosts.splice(0).map(async h => { await h.stop() })) }
    const peers: FilesPeer[] = []
    const peer = async (uploadBytesPerSecond?: number): Promise<FilesPeer> => {
      const p = await FilesPeer.start({ ip: nextIp(), ...(uploadBytesPerSecond != null ? { uploadBytesPerSecond } : {}) })
      peers.push(p)
      return p
    }
    const stopPeers = async (): Promise<void> => { await Promise.all(peers.splice(0).map(async p => { await p.stop() })) }
    try {
      // Every sender runs in a child process of its own and the receiver (the downloader) in
      // this one, so each end has a core as real peers do.
      // 1 and 2. the raw ceiling (one stream, the file's worth of bytes pushed as fast as it
      // drains) and one seeder → one downloader, between the same two hosts. Both are warmed up
      // by two full-size runs each (the JIT: the download's longer code path was still speeding
      // up after one), then run in five interleaved rounds, so that each pair meets the same
      // load of this shared machine; the figures are medians, and the ratio is the median of the
      // rounds' ratios: a best-of-N picks the luckiest round of each, which on a machine that
      // swings ±20 % measures the luck, not the protocol
      const [seeder, downloader] = [await peer(), await host()]
      const file = await prepare([seeder], downloader, 'single', size)
      for (let warm = 0; warm < 2; warm++) {
        await rawThroughput(seeder, downloader, size)
        await fetchFile(downloader, file, size)
      }
      const rounds: Array<{ raw: number, rawCpu: CpuPerMB, MBps: number, cpu: CpuPerMB, duplicatePct: number }> = []
      for (let round = 0; round < 5; round++) {
        const { result: raw, cpu: rawCpu } = await withCpu(seeder, size, async () => await rawThroughput(seeder, downloader, size))
        const { result: run, cpu } = await withCpu(seeder, size, async () => await fetchFile(downloader, file, size))
        log(`  round ${round + 1}: raw ${raw.toFixed(0)} MB/s, 1 seeder ${run.MBps.toFixed(0)} MB/s (${(run.MBps / raw).toFixed(2)}×); CPU per MB raw ${rawCpu.sender.toFixed(2)} + ${rawCpu.receiver.toFixed(2)} ms, download ${cpu.sender.toFixed(2)} + ${cpu.receiver.toFixed(2)} ms`)
        rounds.push({ raw, rawCpu, ...run, cpu })
      }
      const rawMBps = quantile(rounds.map(r => r.raw), 0.5)
      const median = (pick: (r: typeof rounds[number]) => number): number => quantile(rounds.map(pick), 0.5)
      const rawCpu = { sender: median(r => r.rawCpu.sender), receiver: median(r => r.rawCpu.receiver) }
      // what verifying alone costs on this machine: SHA-256 of the file's bytes in pieces, out of
      // cache as a download's are
      const hashMs = sha256CpuPerMB(size)
      const total = (cpu: CpuPerMB): number => cpu.sender + cpu.receiver
      const single = {
        MBps: median(r => r.MBps),
        ratio: median(r => r.MBps / r.raw),
        cpu: { sender: median(r => r.cpu.sender), receiver: median(r => r.cpu.receiver) },
        // like the throughput ratio, the median of the rounds' own ratios: each round's download
        // and raw stream met the same load, while medians of each taken apart may come from
        // rounds the machine treated differently (±20 % here while other work ran)
        cpuRatio: median(r => total(r.cpu) / total(r.rawCpu)),
        duplicatePct: Math.max(...rounds.map(r => r.duplicatePct))
      }
      log(`raw single stream: ${rawMBps.toFixed(0)} MB/s`)
      log(`1 seeder: ${single.MBps.toFixed(0)} MB/s (${single.ratio.toFixed(2)}× raw), ${single.duplicatePct.toFixed(2)} % duplicate`)
      // the downloader must take in four seeders at once on a 2-core machine: four together
      // stay well under the ceiling, or the comparison measures the CPU, not the protocol
      const throttle = Math.min(20 * MB, Math.floor(rawMBps * MB / 8))
      log(`seeders throttled to ${(throttle / MB).toFixed(1)} MB/s each`)
      await stopAll()
      await stopPeers()

      // 3. one, two, then four throttled seeders
      const throttled: Array<{ seeders: number, MBps: number, duplicatePct: number }> = []
      for (const count of [1, 2, 4]) {
        const seeders: FilesPeer[] = []
        for (let i = 0; i < count; i++) seeders.push(await peer(throttle))
        const downloader = await host()
        throttled.push({ seeders: count, ...await fetchFile(downloader, await prepare(seeders, downloader, 'throttled', throttledSize), throttledSize) })
        log(`${count} throttled seeder(s): ${throttled[throttled.length - 1].MBps.toFixed(1)} MB/s, ${throttled[throttled.length - 1].duplicatePct.toFixed(2)} % duplicate`)
        await stopAll()
        await stopPeers()
      }
      const [oneThrottled, twoThrottled, fourThrottled] = throttled

      // 4. the DHT on a larger network
      const dht = await dhtTimes(dhtHosts, dhtFiles, host, log)
      await stopAll()

      const figures: Figure[] = [
        { name: 'raw single-stream throughput', value: rawMBps, unit: 'MB/s' },
        { name: '1 seeder download throughput', value: single.MBps, unit: 'MB/s', baseline: rawMBps, ratio: single.ratio },
        { name: '1 seeder duplicate piece bytes', value: single.duplicatePct, unit: '%' },
        // on a machine whose cores both ends share, throughput follows the CPU each byte costs
        { name: 'raw stream CPU per MB, sender + receiver', value: rawCpu.sender + rawCpu.receiver, unit: 'ms/MB' },
        { name: '1 seeder CPU per MB, seeder + downloader', value: single.cpu.sender + single.cpu.receiver, unit: 'ms/MB', baseline: rawCpu.sender + rawCpu.receiver, ratio: single.cpuRatio },
        { name: 'SHA-256 of the file in 256 KiB pieces, CPU per MB', value: hashMs, unit: 'ms/MB', baseline: total(rawCpu), ratio: hashMs / total(rawCpu) },
        { name: '1 seeder CPU per MB against the raw stream\'s plus SHA-256 of the bytes', value: total(single.cpu), unit: 'ms/MB', baseline: total(rawCpu) + hashMs, ratio: total(single.cpu) / (total(rawCpu) + hashMs) },
        { name: '1 throttled seeder download throughput', value: oneThrottled.MBps, unit: 'MB/s', baseline: throttle / MB },
        { name: '2 throttled seeders download throughput', value: twoThrottled.MBps, unit: 'MB/s', baseline: oneThrottled.MBps, ratio: twoThrottled.MBps / oneThrottled.MBps },
        { name: '4 throttled seeders download throughput', value: fourThrottled.MBps, unit: 'MB/s', baseline: oneThrottled.MBps, ratio: fourThrottled.MBps / oneThrottled.MBps },
        { name: '4 throttled seeders duplicate piece bytes', value: fourThrottled.duplicatePct, unit: '%' },
        { name: 'DHT provide p50', value: dht.provideP50, unit: 'ms' },
        { name: 'DHT provide p90', value: dht.provideP90, unit: 'ms' },
        { name: 'DHT find first provider p50', value: dht.findP50, unit: 'ms' },
        { name: 'DHT find first provider p90', value: dht.findP90, unit: 'ms' },
        { name: 'DHT peers queried before the first provider p50', value: dht.queriesP50, unit: 'peers' },
        { name: 'DHT peers queried before the first provider p90', value: dht.queriesP90, unit: 'peers' },
        { name: 'DHT find success', value: dht.found, unit: '%' }
      ]
      const table = markdownTable(['figure', 'value', 'unit', 'baseline', 'ratio'], figures.map(f => [
        f.name, f.value, f.unit, f.baseline ?? '', f.ratio ?? ''
      ]))
      const goals = [
        // issue #24: the throughput ratio measures how two processes share the machine's cores, so
        // the goal is CPU per MB of both ends; throughput stays in the detail
        { goal: 'single seeder: CPU per MB of both ends ≤ 1.15× the raw stream\'s', met: single.cpuRatio <= 1.15, detail: `${(single.cpu.sender + single.cpu.receiver).toFixed(1)} vs ${(rawCpu.sender + rawCpu.receiver).toFixed(1)} ms (median of rounds ${rounds.map(r => ((r.cpu.sender + r.cpu.receiver) / (r.rawCpu.sender + r.rawCpu.receiver)).toFixed(2)).join(', ')}: ${single.cpuRatio.toFixed(2)}×; seeder ${single.cpu.sender.toFixed(1)} vs sender ${rawCpu.sender.toFixed(1)}, downloader ${single.cpu.receiver.toFixed(1)} vs receiver ${rawCpu.receiver.toFixed(1)}); SHA-256 of the bytes alone, which any verifying download pays: ${hashMs.toFixed(2)} ms (${(hashMs / total(rawCpu) * 100).toFixed(0)} % of the raw stream's); the download ${(total(single.cpu) / (total(rawCpu) + hashMs)).toFixed(2)}× the raw stream's plus that; throughput ${single.MBps.toFixed(0)} vs ${rawMBps.toFixed(0)} MB/s (median of rounds ${rounds.map(r => (r.MBps / r.raw).toFixed(2)).join(', ')}: ${single.ratio.toFixed(2)}×)` },
        { goal: '4 throttled seeders ≥ 3.6× one throttled seeder', met: fourThrottled.MBps >= 3.6 * oneThrottled.MBps, detail: `${fourThrottled.MBps.toFixed(1)} vs ${oneThrottled.MBps.toFixed(1)} MB/s (${(fourThrottled.MBps / oneThrottled.MBps).toFixed(2)}×)` },
        { goal: 'duplicate piece bytes ≤ 2 %', met: Math.max(single.duplicatePct, fourThrottled.duplicatePct) <= 2, detail: `1 seeder ${single.duplicatePct.toFixed(2)} %, 4 seeders ${fourThrottled.duplicatePct.toFixed(2)} %` }
      ]
      const charts = [{
        file: 'files-throughput-vs-seeders',
        title: `Download throughput vs seeders (each throttled to ${(throttle / MB).toFixed(1)} MB/s)`,
        xLabel: 'seeders',
        yLabel: 'MB/s at the downloader',
        series: [
          { name: 'measured', points: throttled.map(t => [t.seeders, t.MBps] as [number, number]) },
          { name: 'n × 1 seeder', dashed: true, points: throttled.map(t => [t.seeders, t.seeders * oneThrottled.MBps] as [number, number]) }
        ]
      }]
      return {
        scenario: 'files',
        charts,
        baseline: 'raw single-stream libp2p throughput (TCP + Noise + Yamux) between two hosts in two processes, and one throttled seeder, in the same run',
        figures,
        table: `${size / MiB} MiB file for the unthrottled runs, ${throttledSize / MiB} MiB behind seeders throttled to ${(throttle / MB).toFixed(1)} MB/s each (20 MB/s or an eighth of the raw ceiling, whichever is lower); each seeder and the raw sender in a child process of its own, the downloader and the raw receiver in the bench's; raw stream (the file's worth of distinct bytes, held in memory as the seeder holds its pieces) and single seeder between the same two hosts, each warmed up by two full-size runs, then five interleaved rounds: medians, and the median of the rounds' ratios; SHA-256 of 128 MiB in 256 KiB pieces timed after the rounds; every download timed from get() to its end, once the hosts' connection bring-up is over; memory stores; load average ${loadAtStart.toFixed(1)} at the start, ${loadavg()[0].toFixed(1)} at the end; DHT on ${dhtHosts} hosts (random graph of degree ≥ 4), ${dhtFiles} files\n\n${table}`,
        goals
      }
    } finally {
      await stopAll()
      await stopPeers()
    }
  }
}

/** CPU milliseconds per MB moved, all threads of a process (the hasher and the GC's included). */
interface CpuPerMB {
  /** the sending child process */
  sender: number
  /** this process, the receiving end */
  receiver: number
}

/** Run `work`, which moves `bytes` from `sender` to this process, and measure both ends' CPU. */
async function withCpu<T> (sender: FilesPeer, bytes: number, work: () => Promise<T>): Promise<{ result: T, cpu: CpuPerMB }> {
  const { result, ownMs, peersMs: [senderMs] } = await cpuDuring([sender], work)
  return { result, cpu: { sender: senderMs / (bytes / MB), receiver: ownMs / (bytes / MB) } }
}

/**
 * CPU milliseconds per MB that SHA-256 of `bytes` distinct bytes in 256 KiB pieces costs this
 * process: what verifying a download costs at the least. The bytes are made first and hashed
 * once, so they are out of the CPU's caches as a download's are by the time it hashes them.
 */
function sha256CpuPerMB (bytes: number): number {
  const data = benchData('sha256', bytes)
  const started = process.cpuUsage()
  for (let at = 0; at < bytes; at += DEFAULT_PIECE_SIZE) createHash('sha256').update(data.subarray(at, at + DEFAULT_PIECE_SIZE)).digest()
  const used = process.cpuUsage(started)
  return (used.user + used.system) / 1000 / (bytes / MB)
}

/** MB/s of `bytes` pushed on one stream from `sender` (a child process) to `receiver` (here). */
async function rawThroughput (sender: FilesPeer, receiver: Host, bytes: number): Promise<number> {
  const received = await receiveRaw(receiver, bytes)
  await sender.call({ cmd: 'raw', addrs: receiver.getMultiaddrs().map(String), seed: 'raw', bytes })
  return await received()
}

/**
 * Add {@link benchData}(seed, bytes) on every one of `seeders` (child processes) and connect
 * `downloader` to them; resolves with the file id once the hosts are quiet.
 */
async function prepare (seeders: FilesPeer[], downloader: FilesHost, seed: string, bytes: number): Promise<string> {
  let id = ''
  for (const seeder of seeders) id = (await seeder.call({ cmd: 'add', seed, bytes })).fileId
  await Promise.all(seeders.map(async s => { await downloader.dial(s.addrs.map(a => multiaddr(a))) }))
  // the hosts just met: let their identify, DHT and peer-exchange bring-up finish first
  await settle(seeders)
  return id
}

/**
 * MB/s of `downloader` fetching the whole of file `id` (`bytes` long) from scratch, from the
 * peers it is connected to, timed from `get()` to its end as a user waits for it.
 */
async function fetchFile (downloader: FilesHost, id: string, bytes: number): Promise<{ MBps: number, duplicatePct: number }> {
  await downloader.services.files.remove(id)
  const started = performance.now()
  const result = await downloader.services.files.get(id, { dht: false })
  const ms = performance.now() - started
  return { MBps: bytes / MB / (ms / 1000), duplicatePct: result.duplicateBytes / bytes * 100 }
}

async function dhtTimes (n: number, files: number, host: (init?: FileIndexInit) => Promise<FilesHost>, log: (line: string) => void): Promise<{
  provideP50: number, provideP90: number, findP50: number, findP90: number, queriesP50: number, queriesP90: number, found: number
}> {
  const nodes: FilesHost[] = []
  for (let i = 0; i < n; i++) nodes.push(await host({ initialProvideDelayMs: 3_600_000 }))
  const edges = topologyEdges({ random: 4 }, n, seededRng(7))
  await Promise.all(edges.map(async ([a, b]) => { await nodes[a].dial(nodes[b].getMultiaddrs()) }))
  // let every routing table fill from the self-queries
  await new Promise(resolve => setTimeout(resolve, 5000))
  log(`DHT: ${n} hosts, ${edges.length} links`)
  const rng = seededRng(11)
  const provides: number[] = []
  const finds: number[] = []
  const queries: number[] = []
  let found = 0
  for (let f = 0; f < files; f++) {
    const provider = nodes[rng.int(n)]
    let finder = nodes[rng.int(n)]
    while (finder === provider) finder = nodes[rng.int(n)]
    const id = await provider.services.files.add(randomBytes(1024), { name: `dht-${f}`, provide: false })
    let t = performance.now()
    await provider.services.files.provide(id)
    provides.push(performance.now() - t)
    t = performance.now()
    let asked = 0
    for await (const event of finder.services.dht.findProviders(parseFileId(id), { signal: AbortSignal.timeout(30_000) })) {
      if (event.name === 'PEER_RESPONSE') asked++
      if (event.name === 'PROVIDER' && event.providers.some(p => p.id.equals(provider.peerId))) {
        finds.push(performance.now() - t)
        queries.push(asked)
        found++
        break
      }
    }
  }
  return {
    provideP50: quantile(provides, 0.5),
    provideP90: quantile(provides, 0.9),
    findP50: quantile(finds, 0.5),
    findP90: quantile(finds, 0.9),
    queriesP50: quantile(queries, 0.5),
    queriesP90: quantile(queries, 0.9),
    found: found / files * 100
  }
}
