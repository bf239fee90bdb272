/**
 * A hearsay host for lab tests, run inside a lab namespace: `nat-node.ts '<HostOptions JSON>'`.
 * Prints one JSON event per line: `started` (peer id, addresses), `addrs` whenever its announced
 * addresses change, `trusted` whenever the NAT mappings it trusts (and offers DCUtR) change, `open`/`close` per connection (remote address, relayed or direct). Reads JSON
 * commands on stdin: `{"cmd":"dial","addr":...}` (prints `dialed` or `dial-error`),
 * `{"cmd":"ping","peer":...}` (prints `pinged` or `ping-error`, over a direct connection if there is one, else the relayed one),
 * `{"cmd":"status","peer":...}` (prints `status` with the connections to that peer).
 */
import { createWriteStream } from 'node:fs'
import { createInterface } from 'node:readline'
import { multiaddr } from '@multiformats/multiaddr'
import { createHost, type HostOptions } from '@hearsay/host'

// LAB_LOG_DIR: keep the whole stderr (e.g. DEBUG=libp2p:dcutr* logs) in <dir>/<pid>.log, for investigating a lab run
if (process.env.LAB_LOG_DIR != null) {
  const log = createWriteStream(`${process.env.LAB_LOG_DIR}/${process.pid}.log`)
  process.stderr.write = log.write.bind(log) as typeof process.stderr.write
}

const print = (event: Record<string, unknown>): void => { process.stdout.write(JSON.stringify(event) + '\n') }
const options = JSON.parse(process.argv[2] ?? '{}') as HostOptions
const node = await createHost(options)
type Connection = Awaited<ReturnType<typeof node.dial>>
const addrs = (): string[] => node.getMultiaddrs().map(String)
print({ event: 'started', peerId: node.peerId.toString(), pid: process.pid, addrs: addrs() })

let last = JSON.stringify(addrs())
node.addEventListener('self:peer:update', () => {
  const now = JSON.stringify(addrs())
  if (now === last) return
  last = now
  print({ event: 'addrs', addrs: addrs() })
})
// trusted mappings change without an event: look twice a second
const services = node.services as { observedAddresses?: { trusted: () => unknown[] } }
let lastTrusted = '[]'
setInterval(() => {
  const trusted = (services.observedAddresses?.trusted() ?? []).map(String)
  if (JSON.stringify(trusted) === lastTrusted) return
  lastTrusted = JSON.stringify(trusted)
  print({ event: 'trusted', addrs: trusted })
}, 500).unref()
node.addEventListener('connection:open', ({ detail: c }) => {
  print({ event: 'open', peer: c.remotePeer.toString(), remoteAddr: c.remoteAddr.toString(), direction: c.direction, limited: c.limits != null })
})
node.addEventListener('connection:close', ({ detail: c }) => {
  print({ event: 'close', peer: c.remotePeer.toString(), remoteAddr: c.remoteAddr.toString(), limited: c.limits != null })
})

createInterface({ input: process.stdin }).on('line', line => {
  void (async () => {
    const command = JSON.parse(line)
    if (command.cmd === 'dial') {
      try {
        const c = await node.dial(multiaddr(command.addr), { signal: AbortSignal.timeout(15_000) })
        print({ event: 'dialed', peer: c.remotePeer.toString(), remoteAddr: c.remoteAddr.toString(), limited: c.limits != null })
      } catch (err: any) {
        print({ event: 'dial-error', error: err?.message ?? String(err) })
      }
    } else if (command.cmd === 'status') {
      const conns = node.getConnections().filter(c => c.remotePeer.toString() === command.peer)
      print({ event: 'status', peer: command.peer, connections: conns.map(c => ({ remoteAddr: c.remoteAddr.toString(), limited: c.limits != null })) })
    } else if (command.cmd === 'ping') {
      try {
        // over the connection we hold, chosen here: libp2p's ping(peer) would first dial the peer
        // again whenever the only connection is relayed (it looks for an unlimited one), and that
        // dial, not the relayed connection, is what then fails or times out
        const open = node.getConnections().filter(c => c.remotePeer.toString() === command.peer && c.status === 'open')
        const connection = open.find(c => c.limits == null) ?? open[0]
        if (connection == null) throw new Error('not connected')
        const rtt = await pingOver(connection, AbortSignal.timeout(10_000))
        print({ event: 'pinged', rtt, limited: connection.limits != null, remoteAddr: connection.remoteAddr.toString() })
      } catch (err: any) {
        print({ event: 'ping-error', error: err?.message ?? String(err) })
      }
    }
  })()
}).on('close', () => { void Promise.resolve(node.stop()).then(() => process.exit(0)) })

/** One ping (`/ipfs/ping/1.0.0`: 32 bytes echoed) over `connection`, relayed or not; the round trip in ms. */
async function pingOver (connection: Connection, signal: AbortSignal): Promise<number> {
  const stream = await connection.newStream('/ipfs/ping/1.0.0', { signal, runOnLimitedConnection: true })
  const sent = crypto.getRandomValues(new Uint8Array(32))
  const start = performance.now()
  stream.send(sent)
  const echoed: Uint8Array[] = []
  let length = 0
  for await (const chunk of stream) {
    echoed.push(chunk.subarray())
    length += chunk.byteLength
    if (length >= sent.byteLength) break
  }
  const rtt = performance.now() - start
  await stream.close({ signal }).catch(() => {})
  if (Buffer.compare(Buffer.concat(echoed), sent) !== 0) throw new Error(`the echo differs (${length} bytes)`)
  return rtt
}

process.on('SIGTERM', () => { void Promise.resolve(node.stop()).then(() => process.exit(0)) })
