/**
 * A tiny network probe run inside lab namespaces, printing one JSON event per line:
 * - `serve <port>`: answer every UDP datagram and TCP connection on `port` with the source
 *   address:port it came from (what a NAT mapped the sender to); prints `{"event":"listening"}`.
 * - `ask <host:port>...`: from ONE UDP socket, ask each server what it saw; prints
 *   `{"event":"mapped","server":...,"seen":...}` per answer, then `{"event":"done"}`.
 * - `connect <host:port>`: one TCP connection; prints what the server saw, or an error.
 * - `punch <local port> <host:port>`: a TCP dial from a fixed local port (simultaneous open).
 * Bounded: every wait ends after 3 s.
 */
import { createSocket } from 'node:dgram'
import { connect, createServer } from 'node:net'

const [command, ...args] = process.argv.slice(2)
const print = (event: Record<string, unknown>): void => { process.stdout.write(JSON.stringify(event) + '\n') }

function hostPort (value: string): [string, number] {
  const at = value.lastIndexOf(':')
  return [value.slice(0, at), Number(value.slice(at + 1))]
}

if (command === 'serve') {
  const port = Number(args[0])
  const udp = createSocket('udp4')
  udp.on('message', (_msg, from) => { udp.send(`${from.address}:${from.port}`, from.port, from.address) })
  const tcp = createServer(socket => { socket.end(`${socket.remoteAddress}:${socket.remotePort}`) })
  udp.bind(port, '0.0.0.0', () => {
    tcp.listen(port, '0.0.0.0', () => { print({ event: 'listening', port }) })
  })
} else if (command === 'ask') {
  const udp = createSocket('udp4')
  const pending = new Set(args)
  udp.on('message', (msg, from) => {
    const server = `${from.address}:${from.port}`
    if (!pending.delete(server)) return
    print({ event: 'mapped', server, seen: msg.toString() })
    if (pending.size === 0) finish()
  })
  const timer = setTimeout(finish, 3_000)
  function finish (): void {
    clearTimeout(timer)
    print({ event: 'done', unanswered: [...pending] })
    udp.close()
  }
  udp.bind(0, () => {
    for (const server of args) {
      const [host, port] = hostPort(server)
      udp.send('?', port, host)
    }
  })
} else if (command === 'connect') {
  const [host, port] = hostPort(args[0])
  const socket = connect({ host, port, timeout: 3_000 })
  let seen = ''
  socket.on('data', chunk => { seen += chunk.toString() })
  socket.on('end', () => { print({ event: 'connected', seen }) })
  socket.on('timeout', () => { print({ event: 'error', error: 'timeout' }); socket.destroy() })
  socket.on('error', err => { print({ event: 'error', error: (err as NodeJS.ErrnoException).code ?? err.message }) })
} else if (command === 'punch') {
  // TCP simultaneous open: dial from a fixed local port while the other side dials us the same way
  const [host, port] = hostPort(args[1])
  const socket = connect({ host, port, localPort: Number(args[0]), timeout: 5_000 })
  socket.on('connect', () => { print({ event: 'connected', local: `${socket.localAddress}:${socket.localPort}` }); socket.end() })
  socket.on('timeout', () => { print({ event: 'error', error: 'timeout' }); socket.destroy() })
  socket.on('error', err => { print({ event: 'error', error: (err as NodeJS.ErrnoException).code ?? err.message }) })
} else {
  process.stderr.write('usage: probe.ts serve <port> | ask <host:port>... | connect <host:port>\n')
  process.exit(2)
}
