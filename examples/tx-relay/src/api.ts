/**
 * The node's HTTP API and dashboard, on node:http. JSON in and out; GET endpoints allow any
 * origin so one dashboard can read every node of a devnet.
 */
import { readFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { prometheusText } from './metrics.ts'
import { TX_TOPIC, type RelayNode } from './relay.ts'
import { InvalidTxError, txFromJson, txToJson } from './tx.ts'

const MAX_BODY_BYTES = 16 * 1024
const dashboardFile = new URL('./dashboard.html', import.meta.url)

/** Options of {@link startApi}. */
export interface ApiOptions {
  host: string
  port: number
  /** A JSON file listing the API URLs of the other nodes (written by `devnet`), for the dashboard. */
  peersFile?: string
}

/** Serve the API; resolves with the server and its URL once listening. */
export async function startApi (node: RelayNode, options: ApiOptions): Promise<{ server: Server, url: string }> {
  const server = createServer((req, res) => {
    route(node, options, req, res).catch((err: any) => {
      send(res, 500, { error: err?.message ?? String(err) })
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, options.host, () => { server.off('error', reject); resolve() })
  })
  const address = server.address()
  const port = typeof address === 'object' && address != null ? address.port : options.port
  const host = options.host.includes(':') ? `[${options.host}]` : options.host
  return { server, url: `http://${host}:${port}` }
}

async function route (node: RelayNode, options: ApiOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost')
  const path = url.pathname
  if (req.method === 'POST' && path === '/tx') {
    await postTx(node, req, res)
    return
  }
  if (req.method !== 'GET') {
    send(res, 405, { error: `${req.method ?? ''} not allowed` })
    return
  }
  if (path === '/') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
    res.end(await readFile(dashboardFile))
    return
  }
  if (path === '/mempool') {
    const limit = Math.min(Number(url.searchParams.get('limit') ?? 1000) || 1000, 10_000)
    const txs = node.mempool.list().slice(0, limit).map(e => ({ ...txToJson(e.tx), addedAt: e.addedAt }))
    send(res, 200, { count: node.mempool.size, bytes: node.mempool.bytes, txs })
  } else if (path === '/peers') {
    const connections = node.host.getConnections().map(c => ({ peer: c.remotePeer.toString(), addr: c.remoteAddr.toString(), direction: c.direction }))
    send(res, 200, { peerId: node.host.peerId.toString(), connections })
  } else if (path === '/stats') {
    send(res, 200, {
      peerId: node.host.peerId.toString(),
      relay: node.relay,
      mempool: { count: node.mempool.size, bytes: node.mempool.bytes },
      counters: node.counters,
      gossip: node.host.services.gossip.stats(TX_TOPIC),
      process: processFigures(),
      firstSeen: node.traces(Math.min(Number(url.searchParams.get('limit') ?? 1000) || 1000, 20_000))
    })
  } else if (path.startsWith('/trace/')) {
    const seen = node.trace(path.slice('/trace/'.length))
    send(res, seen == null ? 404 : 200, seen ?? { error: 'never seen here' })
  } else if (path.startsWith('/nonce/')) {
    send(res, 200, { next: node.mempool.nextNonce(path.slice('/nonce/'.length).toLowerCase()).toString() })
  } else if (path === '/metrics') {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' })
    res.end(prometheusText(node))
  } else if (path === '/network') {
    const nodes = options.peersFile == null ? [] : await readFile(options.peersFile, 'utf8').then(t => JSON.parse(t) as unknown, () => [])
    send(res, 200, { nodes })
  } else {
    send(res, 404, { error: `no route ${path}` })
  }
}

async function postTx (node: RelayNode, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let body: string
  try {
    body = await readBody(req)
  } catch (err: any) {
    send(res, 413, { error: err?.message ?? String(err) })
    return
  }
  try {
    const id = await node.submit(txFromJson(JSON.parse(body)))
    send(res, 202, { id })
  } catch (err: any) {
    if (err instanceof InvalidTxError || err instanceof SyntaxError) {
      send(res, 400, { error: err.message })
      return
    }
    throw err
  }
}

async function readBody (req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  let length = 0
  for await (const chunk of req) {
    length += (chunk as Buffer).byteLength
    if (length > MAX_BODY_BYTES) throw new Error(`body over ${MAX_BODY_BYTES} bytes`)
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks).toString('utf8')
}

/** CPU time and memory of this node's process, for benchmarks and the dashboard. */
function processFigures (): { cpuUserMs: number, cpuSystemMs: number, rssBytes: number } {
  const cpu = process.cpuUsage()
  return { cpuUserMs: cpu.user / 1000, cpuSystemMs: cpu.system / 1000, rssBytes: process.memoryUsage.rss() }
}

function send (res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'access-control-allow-origin': '*' })
  res.end(JSON.stringify(body))
}
