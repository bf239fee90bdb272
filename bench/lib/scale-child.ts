/**
 * One `scale` measurement in a process of its own, so that its RSS is its own and running out
 * of memory ends this process, not the benchmark run:
 * `node --expose-gc bench/lib/scale-child.ts <nodes> <full|lean|bare> <degree> <settleMs> <idleMs> [convergeMs] [feelerMs]`.
 * Prints one JSON line ({@link ScaleSample}) on stdout. With `feelerMs` (bare hosts), every host
 * also makes discovery's feeler on its own, without discovery: once per `feelerMs` (jittered as
 * discovery jitters it), a connection to a random host it is not connected to, aborted as soon
 * as it is up; the sample counts them as feelers.
 *
 * Timeline: start every host, dial the seeded links, measure CPU while settling (`settleMs`),
 * GC and read RSS, wait until `convergeMs` after the last host started and (default hosts) until
 * every host holds its outbound target, at most `convergeMs` more, then count what every
 * host does over the steady window (`idleMs`): connections opened and closed, dials, streams
 * and frames per protocol, CPU. With `SCALE_CPU_PROFILE=<file>` in its environment it also writes
 * a V8 CPU profile of the steady window alone (open it in Chrome's DevTools), to see where
 * idle hosts spend their CPU; with `SCALE_HEAP_PROFILE=<prefix>` it writes V8 sampling heap
 * profiles of what is live after settling and at steady state (`<prefix>.settled.heapprofile`,
 * `<prefix>.steady.heapprofile`: allocation sites of the memory still held, after a GC); with
 * `SCALE_ALLOC_PROFILE=<file>` a V8 sampling heap profile of everything allocated over the steady
 * window, garbage included (who makes the collector's work; not together with the one above); with
 * `SCALE_DIAL_STACKS=1` it prints on stderr the call sites that asked for connections over the
 * window, most frequent first; with `SCALE_TRACE=1` it prints on stderr, over the window, every
 * connection that closed after more than 3 s and every one opened in it that lasted 3 s or more
 * (both ends, with the hosts' indexes): what the churn beside the feelers is.
 *
 * @module
 */
// stops when the bench that started it is gone
import '../../examples/shared/src/stop-with-launcher.ts'
import { writeFile } from 'node:fs/promises'
import { Session } from 'node:inspector/promises'
import { getHeapSpaceStatistics } from 'node:v8'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { seededRng } from '@hearsay/sansio'
import { ROUND_JITTER } from '@hearsay/discovery'
import { createTestnet, topologyEdges } from '@hearsay/host/testnet'
import type { HostOptions } from '@hearsay/host'

// libp2p's types, by way of the host's options (the bench depends on no libp2p package itself)
type Metrics = ReturnType<NonNullable<HostOptions['metrics']>>
type Stream = Parameters<Metrics['trackProtocolStream']>[0]
interface Connection { id: string, direction: 'inbound' | 'outbound', status: string, remotePeer: { toString: () => string }, timeline: { open: number } }

/** What the hosts did over the steady window, all hosts together, per minute. */
export interface SteadyCounts {
  /** length of the window, ms */
  windowMs: number
  /** connections opened (counted once, at the dialling end, in the window their dial began in) */
  opened: number
  /** connections closed (counted once per connection, not per end) */
  closed: number
  /** transport dials (attempts to reach an address, successful or not) */
  dials: number
  /** transport dials that failed, by the error's name (a refusal past the listener's pending-upgrade limit, a timeout, ...) */
  dialFailures: Record<string, number>
  /** requests for a connection to a peer with none open, by who asked (`discovery`, `kad-dht`, ...) */
  dialRequests: Record<string, number>
  /** those of {@link dialRequests} that got their connection, by who asked */
  openedFor: Record<string, number>
  /** discovery's own counts: feeler and outbound dials, feelers closed and left open (their peer kept alive by the DHT), inbound peers evicted */
  discovery: { feelers: number, outbound: number, failed: number, feelersClosed: number, feelersKept: number, evicted: number }
  /** per protocol: streams opened by us (outbound), frames and bytes we sent on them and on inbound ones */
  protocols: Record<string, { streams: number, frames: number, bytes: number }>
  /** CPU of the whole process over the window, % of one core */
  cpuPct: number
  /**
   * CPU of the main thread alone (all the hosts' JavaScript), % of one core; the rest of
   * `cpuPct` is V8's helper threads (concurrent marking and sweeping of the heap) and libuv's
   */
  mainThreadCpuPct: number
}

/** What one child measured. */
export interface ScaleSample {
  nodes: number
  variant: 'full' | 'lean' | 'bare'
  /** RSS of the process before any host, MiB */
  rssBeforeMiB: number
  /** RSS after start, connect and the settling pause, after a GC, MiB */
  rssMiB: number
  /** V8 heap in use at the same moment, MiB */
  heapMiB: number
  /** V8 heap committed at the same moment, MiB */
  heapTotalMiB: number
  /** RSS at the end of the steady window, after a GC, MiB */
  rssSteadyMiB: number
  /** V8 heap in use at the same moment, MiB */
  heapSteadyMiB: number
  /** V8 heap committed at the same moment (what of the RSS the heap holds), MiB */
  heapTotalSteadyMiB: number
  /** memory of ArrayBuffers and Buffers at the same moment (outside the V8 heap), MiB */
  arrayBuffersSteadyMiB: number
  /** time to create and start every host, ms */
  startMs: number
  /** time to dial every link of the topology, ms */
  connectMs: number
  /** connections open after settling (each counted once) */
  connections: number
  /** connections open at the end of the steady window */
  connectionsSteady: number
  /** links the topology asked for */
  links: number
  /** CPU used while settling, right after connecting, as % of one core */
  settlingCpuPct: number
  /** CPU used over the steady window, as % of one core */
  idleCpuPct: number
  /** what happened over the steady window, per minute */
  steady: SteadyCounts
  /**
   * longest the event loop went without turning (timers and I/O waiting) from connecting to the
   * end of settling, ms: how late a busy testnet's timers (dial rounds, timeouts, keep-alives) ran
   */
  loopStallSettlingMs: number
  /** the same over the steady window, ms */
  loopStallSteadyMs: number
  /** time from the last host's start to the steady window, ms */
  convergedAfterMs: number
  /** share of hosts at their outbound target with no dial in flight when the window opened (1 without discovery) */
  atTargetShare: number
  /** connections the DHT's requests dialled (the start's lookups': they close once idle) still open when the window opened */
  lookupConnectionsAtWindow: number
  /** time to stop every host, ms */
  stopMs: number
  /**
   * false when `stop()` never settled: the process ran out of work (no socket, no timer) with a
   * host's stop still pending — seen with 1000 bare hosts holding 13 connections each, on the
   * memory transport; reported, not hidden, and the sample is kept (stop comes after every reading)
   */
  stopSettled: boolean
}

const [nodesArg, variantArg, degreeArg, settleArg, idleArg, convergeArg, feelerArg] = process.argv.slice(2)
const nodes = Number(nodesArg)
const variant = variantArg === 'bare' || variantArg === 'lean' ? variantArg : 'full'
const degree = Number(degreeArg)
const settleMs = Number(settleArg)
const idleMs = Number(idleArg)
const convergeMs = Number(convergeArg ?? 0)
const feelerMs = Number(feelerArg ?? 0)
const mib = (bytes: number): number => Math.round(bytes / 2 ** 20)
const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, Math.max(0, ms))) }
/** CPU this process (all its threads) and its main thread alone use over the next `ms`, as % of one core. */
async function cpuPercent (ms: number): Promise<{ process: number, main: number }> {
  const before = process.cpuUsage()
  const beforeMain = process.threadCpuUsage()
  const started = performance.now()
  await sleep(ms)
  const used = process.cpuUsage(before)
  const usedMain = process.threadCpuUsage(beforeMain)
  const pct = (u: NodeJS.CpuUsage): number => (u.user + u.system) / 1000 / (performance.now() - started) * 100
  return { process: pct(used), main: pct(usedMain) }
}
const gc = (): void => { (globalThis as { gc?: () => void }).gc?.() }

/**
 * Every host's feeler, as discovery makes it (`DiscoveryPolicy`: every `intervalMs` ±
 * `ROUND_JITTER`, dialled, aborted once connected), for hosts without discovery. `stop()` ends
 * them and answers how many began while counting was on.
 */
function startFeelers (intervalMs: number): { stop: () => number } {
  const rng = seededRng(2)
  const timers = new Set<ReturnType<typeof setTimeout>>()
  let stopped = false
  let made = 0
  const jittered = (): number => intervalMs * (1 - ROUND_JITTER + 2 * ROUND_JITTER * rng.next())
  const schedule = (i: number, ms: number): void => {
    const timer = setTimeout(() => {
      timers.delete(timer)
      if (stopped) return
      void feel(i).finally(() => { if (!stopped) schedule(i, jittered()) })
    }, ms)
    timers.add(timer)
  }
  const feel = async (i: number): Promise<void> => {
    const node = net.nodes[i]
    // a random host it holds no connection to (ten tries; a dense graph leaves plenty)
    for (let tries = 0; tries < 10; tries++) {
      const j = rng.int(net.nodes.length)
      if (j === i || node.getConnections(net.nodes[j].peerId).length > 0) continue
      // counted when it begins, as discovery counts its feelers; one that fails is a feeler too
      if (counting) made++
      try {
        const connection = await node.dial(net.nodes[j].getMultiaddrs())
        connection.abort(new Error('feeler done'))
      } catch {
        // the window counts failed dials apart
      }
      return
    }
  }
  // the first round of each host at a uniformly random point of its interval, as if long running
  for (let i = 0; i < net.nodes.length; i++) schedule(i, rng.next() * intervalMs)
  return {
    stop: () => {
      stopped = true
      for (const timer of timers) clearTimeout(timer)
      return made
    }
  }
}

// ---- counting -------------------------------------------------------------------------------

const dialStacks: Record<string, number> | undefined = process.env.SCALE_DIAL_STACKS === '1' ? {} : undefined
const trace = process.env.SCALE_TRACE === '1'
/** host index by peer id, for the trace */
const hostIndex = new Map<string, number>()
/** Counting is on only over the steady window. */
let counting = false
/** Open connections that a DHT request dialled, by id: the start's lookups leave them, and they close once idle. */
const lookupConnections = new Set<string>()
const counts = {
  opened: 0,
  closed: 0,
  dials: 0,
  dialRequests: {} as Record<string, number>,
  dialFailures: {} as Record<string, number>,
  openedFor: {} as Record<string, number>,
  protocols: {} as Record<string, { streams: number, frames: number, bytes: number }>
}
const bump = (record: Record<string, number>, key: string): void => { record[key] = (record[key] ?? 0) + 1 }
const protocol = (name: string): { streams: number, frames: number, bytes: number } =>
  (counts.protocols[name] ??= { streams: 0, frames: 0, bytes: 0 })

/** Does nothing, whatever is asked of it (libp2p's metric objects, timers, groups). */
const inert: any = new Proxy(function () {}, {
  get: (_, key) => key === 'then' ? undefined : inert,
  apply: () => inert
})

/**
 * A libp2p `Metrics` that records nothing but what the bench counts: every negotiated stream
 * (libp2p calls `trackProtocolStream` for both directions), and the frames sent on it.
 * One instance serves every host of the process.
 */
const metrics: Metrics = {
  trackMultiaddrConnection: () => {},
  trackProtocolStream: (stream: Stream) => {
    const name = stream.protocol ?? '?'
    if (counting && stream.direction === 'outbound') protocol(name).streams++
    const send = stream.send.bind(stream)
    stream.send = (data: Uint8Array | { byteLength: number }) => {
      if (counting) {
        const p = protocol(name)
        p.frames++
        p.bytes += data.byteLength
      }
      return send(data as any)
    }
  },
  registerMetric: inert,
  registerMetricGroup: inert,
  registerCounter: inert,
  registerCounterGroup: inert,
  registerHistogram: inert,
  registerHistogramGroup: inert,
  registerSummary: inert,
  registerSummaryGroup: inert,
  traceFunction: (_name: string, fn: any) => fn,
  createTrace: () => undefined
}

/** Who asked for a connection, from the caller's frames (they are synchronous up to the first await). */
function caller (stack: string): string {
  for (const [pattern, name] of [
    [/discovery\/(src|dist)/, 'discovery'],
    [/kad-dht/, 'kad-dht'],
    [/file-index\/(src|dist)/, 'files'],
    [/gossip\/(src|dist)/, 'gossip'],
    [/bootstrap/, 'bootstrap'],
    [/reconnect-queue/, 'reconnect'],
    [/autonat|dcutr|circuit-relay/, 'nat'],
    [/scale-child|testnet/, 'bench links']
  ] as const) {
    if (pattern.test(stack)) return name
  }
  return 'other'
}

/** The peer a connection is asked for: a peer id, a multiaddr with `/p2p`, or a list of them. */
function peerOf (target: any): string | undefined {
  const first = Array.isArray(target) ? target[0] : target
  if (first == null) return undefined
  if (typeof first.getPeerId === 'function') return first.getPeerId() ?? undefined
  return String(first)
}

/** Count dials, dial requests and connections of one host. */
function instrument (node: { components?: any, addEventListener: (...args: any[]) => void }): void {
  const { transportManager, connectionManager } = node.components ?? {}
  if (transportManager != null) {
    const dial = transportManager.dial.bind(transportManager)
    transportManager.dial = (...args: any[]) => {
      // a connection counts as opened in the window its dial began in, as discovery counts its
      // feelers (a burst of feelers dialled just before the window would otherwise open inside it)
      const inWindow = counting
      if (inWindow) counts.dials++
      const connecting = dial(...args)
      if (inWindow) connecting.then(() => { counts.opened++ }, (err: any) => { bump(counts.dialFailures, String(err?.name ?? 'Error')) })
      return connecting
    }
  }
  if (connectionManager != null) {
    const open = connectionManager.openConnection.bind(connectionManager)
    connectionManager.openConnection = (target: any, options?: any) => {
      const peer = peerOf(target)
      const connected = peer != null && connectionManager.getConnections().some((c: Connection) => c.remotePeer.toString() === peer && c.status === 'open')
      if (connected) return open(target, options)
      const stack = new Error().stack ?? ''
      const asker = caller(stack)
      const inWindow = counting
      if (inWindow) {
        bump(counts.dialRequests, asker)
        if (dialStacks != null) bump(dialStacks, stack.split('\n').slice(2, 9).map(line => line.trim().replace(/\(.*node_modules\//, '(')).join(' < '))
      }
      const opening = open(target, options)
      opening.then((connection: Connection) => {
        if (inWindow) bump(counts.openedFor, asker)
        if (asker === 'kad-dht' && connection.status === 'open') lookupConnections.add(connection.id)
      }, () => {})
      return opening
    }
  }
  node.addEventListener('connection:close', (event: CustomEvent<Connection>) => {
    // both ends see the close: count it where it was dialled, as opened is
    lookupConnections.delete(event.detail.id)
    if (counting && event.detail.direction === 'outbound') counts.closed++
    if (trace && counting) traceClose(node, event.detail)
  })
  if (trace) {
    node.addEventListener('connection:open', (event: CustomEvent<Connection>) => {
      if (!counting) return
      const c = event.detail
      setTimeout(() => { if (c.status === 'open') traceLine('lasting', node, c) }, 3_000).unref()
    })
  }
}

function traceLine (what: string, node: any, c: Connection): void {
  const self = hostIndex.get(node.peerId?.toString()) ?? -1
  const remote = hostIndex.get(c.remotePeer.toString()) ?? -1
  const age = ((Date.now() - c.timeline.open) / 1000).toFixed(1)
  const t = ((performance.now() - traceStart) / 1000).toFixed(1)
  process.stderr.write(`trace ${t}s ${what} host ${self} ${c.direction} ${remote} age ${age}s id ${c.id}\n`)
}

function traceClose (node: any, c: Connection): void {
  if (Date.now() - c.timeline.open > 3_000) traceLine('closed', node, c)
}
let traceStart = performance.now()

interface DiscoveryCounters { dials: { outbound: number, feeler: number, failed: number }, closes: { feeler: number, evict: number }, feelersKept: number }
function discoveryTotals (all: Array<{ services: Record<string, any> }>): DiscoveryCounters {
  const sum: DiscoveryCounters = { dials: { outbound: 0, feeler: 0, failed: 0 }, closes: { feeler: 0, evict: 0 }, feelersKept: 0 }
  for (const node of all) {
    const stats = node.services.discovery?.stats?.()
    if (stats?.dials == null) continue
    sum.dials.outbound += stats.dials.outbound
    sum.dials.feeler += stats.dials.feeler
    sum.dials.failed += stats.dials.failed
    sum.closes.feeler += stats.closes.feeler
    sum.closes.evict += stats.closes.evict
    sum.feelersKept += stats.feelersKept ?? 0
  }
  return sum
}

// ---- the run --------------------------------------------------------------------------------

const rssBefore = process.memoryUsage().rss
const heapPrefix = process.env.SCALE_HEAP_PROFILE
const heapProfiler = heapPrefix == null || heapPrefix === '' ? undefined : new Session()
if (heapProfiler != null) {
  heapProfiler.connect()
  // one sample per 256 KiB allocated on average: cheap enough to leave on for the whole run
  await heapProfiler.post('HeapProfiler.startSampling', { samplingInterval: 256 * 1024 })
}
/** Write what the sampling heap profiler sees live now, if it is on. */
async function writeHeapProfile (label: string): Promise<void> {
  if (heapProfiler == null) return
  const { profile } = await heapProfiler.post('HeapProfiler.getSamplingProfile')
  await writeFile(`${heapPrefix}.${label}.heapprofile`, JSON.stringify(profile))
  // and V8's spaces: how much of each is committed, and how much of that is in use
  const spaces = getHeapSpaceStatistics().map(s => ({ space: s.space_name, committedMiB: mib(s.physical_space_size), usedMiB: mib(s.space_used_size) }))
  await writeFile(`${heapPrefix}.${label}.spaces.json`, JSON.stringify(spaces, null, 1))
}
let started = performance.now()
const net = await createTestnet({
  nodes,
  seed: 1,
  // bare: the same transport, Noise and Yamux with no services at all (no DHT, identify, gossip,
  // scoring, discovery, files, ping monitor): what the libp2p stack alone costs per node
  // lean: hearsay as the gossip bench runs it, without the parts that dial on their own
  host: variant === 'bare'
    ? { metrics: () => metrics, libp2p: { services: {}, connectionMonitor: { enabled: false } } }
    : variant === 'lean' ? { metrics: () => metrics, discovery: false, files: false, dht: { clientMode: true } } : { metrics: () => metrics }
})
const lastStarted = performance.now()
const startMs = lastStarted - started
for (const node of net.nodes) instrument(node)
for (const [i, node] of net.nodes.entries()) hostIndex.set(node.peerId.toString(), i)
// the testnet was created without links so that starting and connecting are timed apart
const edges = topologyEdges({ random: degree }, nodes, seededRng(1))
const loopDelay = monitorEventLoopDelay({ resolution: 20 })
loopDelay.enable()
started = performance.now()
await net.wire(edges)
const connectMs = performance.now() - started
const feelers = feelerMs > 0 ? startFeelers(feelerMs) : undefined
const countConnections = (): number => net.nodes.reduce((sum, node) => sum + node.getConnections().length, 0) / 2
// a new default host keeps busy for a while (identify, DHT self-queries, discovery dialling
// beyond the seeded links): that is measured apart, and "idle" only after it
const settlingCpuPct = (await cpuPercent(settleMs)).process
const loopStallSettlingMs = loopDelay.max / 1e6
gc()
const memory = process.memoryUsage()
await writeHeapProfile('settled')
const connections = countConnections()
// steady state: once the network has converged — `convergeMs` after the last host started, and
// then (default hosts) once every host holds its outbound target with no dial in flight and the
// connections the start's DHT lookups dialled have closed (60 s after their last use), for at
// most `convergeMs` more: on 2 cores 1000 default hosts took 2–2.5 min to get there, and a window
// opened at 2 min measured the end of convergence rather than a converged network (a window
// opened 133 s after the start saw 9 lookup connections close in it)
await sleep(lastStarted + convergeMs - performance.now())
const atTarget = (): number => net.nodes.filter(node => {
  const stats = (node.services as Record<string, any>).discovery?.stats?.()
  return stats == null || (stats.outbound >= stats.targetOutbound && stats.dialing === 0)
}).length / net.nodes.length
while (convergeMs > 0 && (atTarget() < 1 || lookupConnections.size > 0) && performance.now() - lastStarted < 2 * convergeMs) await sleep(1000)
const atTargetShare = atTarget()
const lookupConnectionsAtWindow = lookupConnections.size
const convergedAfterMs = performance.now() - lastStarted
if (trace) traceBelowTarget()

/** Why the hosts below their outbound target dial no one: their address books, entry by entry. */
function traceBelowTarget (): void {
  const now = Date.now()
  for (const [i, node] of net.nodes.entries()) {
    const discovery = (node.services as Record<string, any>).discovery
    const stats = discovery?.stats?.()
    if (stats == null || stats.outbound >= stats.targetOutbound) continue
    const connected = new Set(node.getConnections().map(c => c.remotePeer.toString()))
    const kinds: Record<string, number> = {}
    for (const e of discovery.addressBook.sample(1e9)) {
      const kind = connected.has(e.peer) ? 'connected'
        : e.lastTry === 0 ? 'never tried'
          : e.attempts === 0 ? (now - e.lastTry < 600_000 ? 'succeeded <10 min ago' : 'succeeded long ago')
            : `failed ${e.attempts}x, last ${Math.round((now - e.lastTry) / 1000)} s ago`
      bump(kinds, `${e.table} ${kind}`)
    }
    process.stderr.write(`trace below target: host ${i} outbound ${stats.outbound} dialing ${stats.dialing} book ${JSON.stringify(kinds)}\n`)
  }
}
const discoveryBefore = discoveryTotals(net.nodes)
const profileFile = process.env.SCALE_CPU_PROFILE
const profiler = profileFile == null || profileFile === '' ? undefined : new Session()
if (profiler != null) {
  profiler.connect()
  await profiler.post('Profiler.enable')
  await profiler.post('Profiler.start')
}
// every allocation of the window, the garbage too (what the collector's share of idle CPU pays for)
const allocFile = process.env.SCALE_ALLOC_PROFILE
const allocProfiler = allocFile == null || allocFile === '' ? undefined : new Session()
if (allocProfiler != null) {
  allocProfiler.connect()
  await allocProfiler.post('HeapProfiler.startSampling', { samplingInterval: 64 * 1024, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true })
}
counting = true
const windowStart = performance.now()
traceStart = windowStart
loopDelay.reset()
const idleCpu = await cpuPercent(idleMs)
const loopStallSteadyMs = loopDelay.max / 1e6
loopDelay.disable()
const idleCpuPct = idleCpu.process
counting = false
if (profiler != null && profileFile != null) {
  const { profile } = await profiler.post('Profiler.stop')
  await writeFile(profileFile, JSON.stringify(profile))
  profiler.disconnect()
}
if (allocProfiler != null && allocFile != null) {
  const { profile } = await allocProfiler.post('HeapProfiler.stopSampling')
  await writeFile(allocFile, JSON.stringify(profile))
  allocProfiler.disconnect()
}
const windowMs = performance.now() - windowStart
const discoveryAfter = discoveryTotals(net.nodes)
const ownFeelers = feelers?.stop() ?? 0
const connectionsSteady = countConnections()
// memory once converged too: right after settling the event loop of 1000 default hosts is still
// saturated, and part of what it holds is work in flight rather than what a host keeps
gc()
const memorySteady = process.memoryUsage()
await writeHeapProfile('steady')
const perMinute = (n: number): number => n * 60_000 / windowMs
const perMinuteEach = (record: Record<string, number>): Record<string, number> =>
  Object.fromEntries(Object.entries(record).map(([k, v]) => [k, perMinute(v)]))
const steady: SteadyCounts = {
  windowMs,
  opened: perMinute(counts.opened),
  closed: perMinute(counts.closed),
  dials: perMinute(counts.dials),
  dialRequests: perMinuteEach(counts.dialRequests),
  dialFailures: perMinuteEach(counts.dialFailures),
  openedFor: perMinuteEach(counts.openedFor),
  discovery: {
    feelers: perMinute(discoveryAfter.dials.feeler - discoveryBefore.dials.feeler + ownFeelers),
    outbound: perMinute(discoveryAfter.dials.outbound - discoveryBefore.dials.outbound),
    failed: perMinute(discoveryAfter.dials.failed - discoveryBefore.dials.failed),
    feelersClosed: perMinute(discoveryAfter.closes.feeler - discoveryBefore.closes.feeler + ownFeelers),
    feelersKept: perMinute(discoveryAfter.feelersKept - discoveryBefore.feelersKept),
    evicted: perMinute(discoveryAfter.closes.evict - discoveryBefore.closes.evict)
  },
  protocols: Object.fromEntries(Object.entries(counts.protocols).map(([k, p]) => [k, { streams: perMinute(p.streams), frames: perMinute(p.frames), bytes: perMinute(p.bytes) }])),
  cpuPct: idleCpuPct,
  mainThreadCpuPct: idleCpu.main
}
if (dialStacks != null) {
  for (const [stack, n] of Object.entries(dialStacks).sort((a, b) => b[1] - a[1]).slice(0, 15)) process.stderr.write(`${n} ${stack}\n`)
}
started = performance.now()
const report = (stopSettled: boolean): never => {
  const sample: ScaleSample = {
    nodes,
    variant,
    rssBeforeMiB: mib(rssBefore),
    rssMiB: mib(memory.rss),
    heapMiB: mib(memory.heapUsed),
    heapTotalMiB: mib(memory.heapTotal),
    rssSteadyMiB: mib(memorySteady.rss),
    heapSteadyMiB: mib(memorySteady.heapUsed),
    heapTotalSteadyMiB: mib(memorySteady.heapTotal),
    arrayBuffersSteadyMiB: mib(memorySteady.arrayBuffers),
    startMs,
    connectMs,
    connections,
    connectionsSteady,
    links: edges.length,
    settlingCpuPct,
    idleCpuPct,
    steady,
    loopStallSettlingMs,
    loopStallSteadyMs,
    convergedAfterMs,
    atTargetShare,
    lookupConnectionsAtWindow,
    stopMs: performance.now() - started,
    stopSettled
  }
  process.stdout.write(JSON.stringify(sample) + '\n')
  // a stopped libp2p node may still hold a timer or two; the measurement is done
  process.exit(0)
}
// the event loop empties with a stop still pending (it can never settle then): report that
// rather than die of an unsettled top-level await (exit 13) and lose the sample
process.once('beforeExit', () => report(false))
await net.stop()
report(true)
