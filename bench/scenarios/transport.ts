import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { connect, createServer, type Server, type Socket } from 'node:net'
import { createHost, guardedYamux, type Host } from '@hearsay/host'
import { figure, until } from '../lib/measure.ts'
import { markdownTable, quantile, type Figure, type Scenario } from '../lib/report.ts'

const MB = 1_000_000
const MiB = 1024 * 1024
const CHUNK = 256 * 1024
const ECHO_BYTES = 64
const BULK_PROTOCOL = '/hearsay/bench-bulk/1.0.0'
const ECHO_PROTOCOL = '/hearsay/bench-echo/1.0.0'
const TCP_SERVER = '127.0.200.1'
const TCP_CLIENT = '127.0.200.2'
const P2P_SERVER = '127.0.201.1'
const P2P_CLIENT = '127.0.201.2'
const QUIC_SERVER = '127.0.202.1'
const QUIC_CLIENT = '127.0.202.2'

/** Yamux settings tried for bulk throughput: stream window (initial = max) and largest frame. */
const YAMUX_VARIANTS: ReadonlyArray<{ window: number, message: number }> = [
  { window: 256 * 1024, message: 64 * 1024 },
  { window: 1024 * 1024, message: 64 * 1024 },
  { window: 1024 * 1024, message: 256 * 1024 },
  { window: 4096 * 1024, message: 256 * 1024 }
]

/** The three figures measured for each side. */
interface Measured {
  MBps: number
  connectP50: number
  connectP90: number
  rttP50: number
  rttP99: number
}

/** One side of the comparison: how to connect, push bytes and echo. */
interface Link {
  /** Open and close `count` connections; each one's time until usable, in ms. */
  connectTimes(count: number): Promise<number[]>
  /** Push `bytes` through one stream as fast as it drains; MB/s at the receiver. */
  throughput(bytes: number): Promise<number>
  /** `rounds` sequential 64-byte echoes on one stream; each round trip in ms. */
  roundTrips(rounds: number): Promise<number[]>
  close(): Promise<void>
}

/**
 * `transport`: what libp2p's stack costs on loopback. Baseline: raw `node:net` TCP. Measured:
 * one libp2p stream over TCP + Noise + Yamux, and one over QUIC (`@chainsafe/libp2p-quic`: TLS
 * 1.3 and QUIC's own streams), each between two bare hosts (no services, so nothing else shares
 * the connection). Same three figures: bulk MB/s, connect time, 64-byte round trip.
 */
export const transportScenario: Scenario = {
  name: 'transport',
  description: 'raw TCP loopback vs one libp2p stream over TCP+Noise+Yamux and over QUIC: MB/s, dial time, 64-byte round trip',
  async run ({ quick, log }) {
    const bytes = quick ? 32 * MiB : 256 * MiB
    const rounds = quick ? 500 : 5000
    const dials = quick ? 10 : 50
    const tcp = await tcpLink()
    const links: Array<[string, Link]> = [['raw TCP', tcp]]
    try {
      links.push(['libp2p TCP', await libp2pLink('tcp')])
      links.push(['libp2p QUIC', await libp2pLink('quic')])
      // warm all up (JIT, socket buffers), then take turns so that a noisy neighbour hurts all
      // alike; throughput is the better of two runs: a ceiling, not the scheduler
      for (const [, link] of links) {
        await link.throughput(bytes / 8)
        await link.roundTrips(50)
        await link.connectTimes(2)
      }
      const measured: Measured[] = []
      for (const [name, link] of links) {
        const MBps = Math.max(await link.throughput(bytes), await link.throughput(bytes))
        const connects = await link.connectTimes(dials)
        const rtts = await link.roundTrips(rounds)
        const m = { MBps, connectP50: quantile(connects, 0.5), connectP90: quantile(connects, 0.9), rttP50: quantile(rtts, 0.5), rttP99: quantile(rtts, 0.99) }
        log(`${name}: ${m.MBps.toFixed(0)} MB/s, connect p50 ${m.connectP50.toFixed(2)} ms, round trip p50 ${(m.rttP50 * 1000).toFixed(0)} µs`)
        measured.push(m)
      }
      const [raw, lp, quic] = measured
      const rows: Array<[string, (m: Measured) => number, string]> = [
        ['bulk throughput, one stream', m => m.MBps, 'MB/s'],
        ['connect time p50', m => m.connectP50, 'ms'],
        ['connect time p90', m => m.connectP90, 'ms'],
        ['64-byte round trip p50', m => m.rttP50 * 1000, 'µs'],
        ['64-byte round trip p99', m => m.rttP99 * 1000, 'µs']
      ]
      const figures: Figure[] = rows.flatMap(([name, of, unit]) => [
        figure(name, of(lp), unit, of(raw)),
        figure(`${name}, QUIC`, of(quic), unit, of(raw))
      ])
      const table = markdownTable(['figure', 'raw TCP', 'libp2p TCP+Noise+Yamux', 'libp2p QUIC', 'unit', 'TCP / raw', 'QUIC / raw', 'QUIC / TCP'],
        rows.map(([name, of, unit]) => [name, of(raw), of(lp), of(quic), unit, of(lp) / of(raw), of(quic) / of(raw), of(quic) / of(lp)]))
      // Yamux's stream window and frame size against one-stream bulk throughput (fixed window:
      // initial = max, so no window growth hides the setting), the defaults measured alongside,
      // in turns, so that a noisy neighbour hurts all alike
      const sweepLinks: Array<[string, Link]> = [['defaults (window 256 KiB growing to 16 MiB, frames ≤ 64 KiB)', await libp2pLink('tcp')]]
      const sweep = new Map<string, number>()
      try {
        for (const v of YAMUX_VARIANTS) sweepLinks.push([`window ${v.window / 1024} KiB fixed, frames ≤ ${v.message / 1024} KiB`, await libp2pLink('tcp', v)])
        for (const [, link] of sweepLinks) await link.throughput(bytes / 8)
        for (let round = 0; round < 2; round++) {
          for (const [label, link] of sweepLinks) sweep.set(label, Math.max(sweep.get(label) ?? 0, await link.throughput(bytes / 2)))
        }
      } finally {
        await Promise.all(sweepLinks.map(async ([, link]) => { await link.close() }))
      }
      const defaults = sweep.get(sweepLinks[0][0]) ?? 0
      for (const [label, MBps] of [...sweep].slice(1)) {
        log(`yamux ${label}: ${MBps.toFixed(0)} MB/s (defaults ${defaults.toFixed(0)})`)
        figures.push(figure(`bulk throughput, yamux ${label}`, MBps, 'MB/s', defaults))
      }
      const sweepTable = markdownTable(['libp2p TCP, one stream, yamux', 'MB/s', '/ defaults'], [...sweep].map(([label, MBps]) => [label, MBps, MBps / defaults]))
      return {
        scenario: 'transport',
        baseline: 'raw node:net TCP on loopback in the same run',
        figures,
        table: `${bytes / MiB} MiB pushed in ${CHUNK / 1024} KiB writes (best of two), ${dials} connects (libp2p TCP: multistream-select, Noise XX, Yamux; QUIC: TLS 1.3 in the QUIC handshake), ${rounds} sequential ${ECHO_BYTES}-byte echoes on one open stream; distinct 127.0.200.x / 127.0.201.x / 127.0.202.x addresses\n\n${table}\n\nYamux settings (${bytes / 2 / MiB} MiB per run, best of two, taken in turns):\n\n${sweepTable}`,
        goals: []
      }
    } finally {
      await Promise.all(links.map(async ([, link]) => { await link.close() }))
    }
  }
}

/** Counts bytes as they arrive; `reach(n)` resolves once `n` bytes in total have arrived. */
function byteCounter (): { add(n: number): void, reach(total: number): Promise<void> } {
  let got = 0
  let waiting: { total: number, resolve: () => void } | undefined
  return {
    add (n) {
      got += n
      if (waiting != null && got >= waiting.total) {
        const { resolve } = waiting
        waiting = undefined
        resolve()
      }
    },
    async reach (total) {
      if (got >= total) return
      await new Promise<void>(resolve => { waiting = { total, resolve } })
    }
  }
}

async function listen (host: string, onSocket: (socket: Socket) => void): Promise<{ server: Server, port: number }> {
  const server = createServer(onSocket)
  server.listen(0, host)
  await once(server, 'listening')
  const address = server.address()
  if (address == null || typeof address === 'string') throw new Error('no TCP port')
  return { server, port: address.port }
}

async function dialTcp (port: number): Promise<Socket> {
  const socket = connect({ host: TCP_SERVER, port, localAddress: TCP_CLIENT, noDelay: true })
  await once(socket, 'connect')
  return socket
}

/** The baseline: plain sockets, Nagle off on both ends (as libp2p's TCP transport sets it). */
async function tcpLink (): Promise<Link> {
  let sink = byteCounter()
  const servers: Server[] = []
  const sockets = new Set<Socket>()
  const track = (socket: Socket): Socket => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {})
    return socket
  }
  const bulk = await listen(TCP_SERVER, socket => { track(socket).on('data', (d: Buffer) => { sink.add(d.byteLength) }) })
  const echo = await listen(TCP_SERVER, socket => { track(socket).setNoDelay(true).on('data', (d: Buffer) => socket.write(d)) })
  servers.push(bulk.server, echo.server)
  return {
    async connectTimes (count) {
      const times: number[] = []
      for (let i = 0; i < count; i++) {
        const started = performance.now()
        const socket = await dialTcp(echo.port)
        times.push(performance.now() - started)
        socket.destroy()
      }
      return times
    },
    async throughput (bytes) {
      sink = byteCounter()
      const socket = track(await dialTcp(bulk.port))
      const chunk = randomBytes(CHUNK)
      const started = performance.now()
      for (let sent = 0; sent < bytes; sent += chunk.byteLength) {
        if (!socket.write(chunk)) await once(socket, 'drain')
      }
      await sink.reach(bytes)
      const ms = performance.now() - started
      socket.destroy()
      return bytes / MB / (ms / 1000)
    },
    async roundTrips (rounds) {
      const socket = track(await dialTcp(echo.port))
      const back = byteCounter()
      socket.on('data', (d: Buffer) => { back.add(d.byteLength) })
      const times = await echoRounds(rounds, data => socket.write(data), back)
      socket.destroy()
      return times
    },
    async close () {
      for (const socket of sockets) socket.destroy()
      await Promise.all(servers.map(async server => { await new Promise(resolve => server.close(resolve)) }))
    }
  }
}

async function echoRounds (rounds: number, send: (data: Uint8Array) => void, back: ReturnType<typeof byteCounter>): Promise<number[]> {
  const data = randomBytes(ECHO_BYTES)
  const times: number[] = []
  for (let i = 1; i <= rounds; i++) {
    const started = performance.now()
    send(data)
    await back.reach(i * ECHO_BYTES)
    times.push(performance.now() - started)
  }
  return times
}

/**
 * Two hosts with the hearsay stack and no services at all (`libp2p.services` replaces them): the
 * stream is the only traffic on its connection, and no ping monitor or identify runs beside it.
 */
async function libp2pLink (transport: 'tcp' | 'quic', yamux?: { window: number, message: number }): Promise<Link> {
  const [serverIp, clientIp] = transport === 'tcp' ? [P2P_SERVER, P2P_CLIENT] : [QUIC_SERVER, QUIC_CLIENT]
  const bare = async (ip: string): Promise<Host> => await createHost({
    listen: [transport === 'tcp' ? `/ip4/${ip}/tcp/0` : `/ip4/${ip}/udp/0/quic-v1`],
    dialFrom: ip,
    // the dial loop opens many connections a second from one address, which libp2p's inbound
    // rate limit (5 a second per IP by default) would refuse
    libp2p: {
      services: {},
      connectionMonitor: { enabled: false },
      connectionManager: { inboundConnectionThreshold: 1_000_000 },
      ...(yamux != null
        ? { streamMuxers: [guardedYamux({ maxMessageSize: yamux.message, streamOptions: { initialStreamWindowSize: yamux.window, maxStreamWindowSize: yamux.window } })] }
        : {})
    }
  })
  const server = await bare(serverIp)
  const client = await bare(clientIp).catch(async err => { await server.stop(); throw err })
  let sink = byteCounter()
  await server.handle(BULK_PROTOCOL, stream => {
    stream.addEventListener('message', event => { sink.add(event.data.byteLength) })
  })
  await server.handle(ECHO_PROTOCOL, stream => {
    stream.addEventListener('message', event => { stream.send(event.data) })
    stream.addEventListener('remoteCloseWrite', () => { void stream.close().catch(() => {}) })
  })
  const connected = async (): Promise<void> => {
    if (client.getConnections(server.peerId).length === 0) await client.dial(server.getMultiaddrs())
  }
  return {
    async connectTimes (count) {
      const times: number[] = []
      for (let i = 0; i < count; i++) {
        // a fresh connection each time, not the one libp2p would reuse
        await Promise.all(client.getConnections(server.peerId).map(async c => { await c.close() }))
        await until(() => server.getConnections(client.peerId).length === 0, 2000)
        const started = performance.now()
        await client.dial(server.getMultiaddrs())
        times.push(performance.now() - started)
      }
      return times
    },
    async throughput (bytes) {
      await connected()
      sink = byteCounter()
      const stream = await client.dialProtocol(server.peerId, BULK_PROTOCOL)
      const chunk = randomBytes(CHUNK)
      const started = performance.now()
      for (let sent = 0; sent < bytes; sent += chunk.byteLength) {
        if (!stream.send(chunk)) await stream.onDrain()
      }
      await sink.reach(bytes)
      const ms = performance.now() - started
      stream.abort(new Error('done'))
      return bytes / MB / (ms / 1000)
    },
    async roundTrips (rounds) {
      await connected()
      const stream = await client.dialProtocol(server.peerId, ECHO_PROTOCOL)
      const back = byteCounter()
      stream.addEventListener('message', event => { back.add(event.data.byteLength) })
      const times = await echoRounds(rounds, data => { stream.send(data) }, back)
      await stream.close({ signal: AbortSignal.timeout(2000) }).catch(() => { stream.abort(new Error('done')) })
      return times
    },
    async close () {
      await Promise.all([client.stop(), server.stop()])
    }
  }
}
