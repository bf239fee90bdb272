/**
 * One demo host, run as its own process by `start.ts`. It speaks newline-delimited JSON:
 * events on stdout, commands on stdin. It exits when stdin closes or on SIGINT/SIGTERM.
 *
 *   node node.ts --listen /ip4/127.0.0.1/tcp/0 [--dial-from 127.0.0.1] [--bootstrap <multiaddr>]
 *
 * Commands: {"cmd":"lookup","peers":["<peer id>",...]} finds each peer through the DHT;
 * {"cmd":"ping","peers":[...]} pings each; {"cmd":"peers"} lists current connections;
 * {"cmd":"publish","topic":"...","text":"..."} publishes on a gossip topic. The host subscribes
 * to `demo/flood` (flooding) and `demo/dandelion` (Dandelion++ with a diffusion fluff) and
 * prints every message it receives.
 */
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'
import { peerIdFromString } from '@libp2p/peer-id'
import { createHost, type Host } from '@hearsay/host'
import { dandelion, diffusion, flood } from '@hearsay/gossip'

const { values } = parseArgs({
  options: {
    listen: { type: 'string', default: '/ip4/127.0.0.1/tcp/0' },
    'dial-from': { type: 'string' },
    bootstrap: { type: 'string', multiple: true, default: [] }
  }
})

function emit (event: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(JSON.stringify({ event, ...fields }) + '\n')
}

let host: Host
try {
  host = await createHost({ listen: [values.listen], bootstrap: values.bootstrap, dialFrom: values['dial-from'] })
} catch (err: any) {
  emit('error', { message: err?.message ?? String(err) })
  process.exit(1)
}
emit('listening', { peerId: host.peerId.toString(), addrs: host.getMultiaddrs().map(String) })

// two topics, two relay strategies, one host
host.services.gossip.subscribe('demo/flood', { strategy: flood() })
host.services.gossip.subscribe('demo/dandelion', {
  strategy: dandelion({ embargoMs: 3_000, fluff: diffusion({ meanDelayMs: 100 }) })
})
host.services.gossip.addEventListener('message', event => {
  const { topic, id, data, from } = event.detail
  emit('message', { topic, id, text: new TextDecoder().decode(data), from: from.toString(), at: Date.now() })
})

/**
 * Find `id` through the DHT: this host was never told that peer's address. A lookup made
 * while routing tables are still filling can miss, so it is retried for a bounded time.
 */
async function lookup (id: string): Promise<void> {
  const peerId = peerIdFromString(id)
  const started = performance.now()
  let lastError: any
  for (let attempt = 1; attempt <= 10; attempt++) {
    try {
      const info = await host.peerRouting.findPeer(peerId, { signal: AbortSignal.timeout(10_000) })
      emit('found', { peer: id, attempts: attempt, lookupMs: performance.now() - started, addrs: info.multiaddrs.map(String) })
      return
    } catch (err: any) {
      lastError = err
      await new Promise(resolve => setTimeout(resolve, 200 * attempt))
    }
  }
  emit('lookup-failed', { peer: id, message: lastError?.message ?? String(lastError) })
}

/** Ping `id` five times over the connection the lookup opened (after one warm-up ping). */
async function pingPeer (id: string): Promise<void> {
  try {
    const rtts: number[] = []
    await host.services.ping.ping(peerIdFromString(id), { signal: AbortSignal.timeout(5_000) })
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now()
      await host.services.ping.ping(peerIdFromString(id), { signal: AbortSignal.timeout(5_000) })
      rtts.push(performance.now() - t0)
    }
    emit('ping', { peer: id, rttMs: rtts })
  } catch (err: any) {
    emit('ping-failed', { peer: id, message: err?.message ?? String(err) })
  }
}

let stopping = false
async function shutdown (): Promise<void> {
  if (stopping) return
  stopping = true
  await host.stop()
  emit('stopped')
  process.exit(0)
}

process.on('SIGINT', () => { void shutdown() })
process.on('SIGTERM', () => { void shutdown() })

const lines = createInterface({ input: process.stdin })
lines.on('close', () => { void shutdown() })
lines.on('line', (line) => {
  let command: { cmd?: string, peers?: unknown }
  try {
    command = JSON.parse(line)
  } catch {
    emit('error', { message: `not JSON: ${line.slice(0, 80)}` })
    return
  }
  if ((command.cmd === 'lookup' || command.cmd === 'ping') && Array.isArray(command.peers)) {
    const peers = command.peers.map(String)
    // lookups run in parallel, pings one peer at a time so they do not queue behind each other
    const done = command.cmd === 'lookup'
      ? Promise.all(peers.map(lookup))
      : peers.reduce(async (previous, id) => { await previous; await pingPeer(id) }, Promise.resolve())
    void done.then(() => { emit(`${command.cmd}-done`) })
  } else if (command.cmd === 'publish' && typeof (command as any).topic === 'string') {
    const { topic, text } = command as { topic: string, text?: string }
    const at = Date.now()
    host.services.gossip.publish(topic, new TextEncoder().encode(typeof text === 'string' ? text : ''))
      .then(id => { emit('published', { topic, id, at }) }, (err: any) => { emit('error', { message: err?.message ?? String(err) }) })
  } else if (command.cmd === 'peers') {
    emit('peers', { connections: host.getConnections().map(c => c.remotePeer.toString()) })
  } else {
    emit('error', { message: `unknown command: ${line.slice(0, 80)}` })
  }
})
