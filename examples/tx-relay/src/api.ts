/**
 * The node's HTTP API and dashboard, on node:http. JSON in and out. Reads (GET/HEAD) are open
 * and allow any origin, so one dashboard can read every node of a devnet; the one write,
 * `POST /tx`, needs the token from the data directory's cookie file and sends no CORS headers,
 * so no web page can submit through a visitor's browser. Every path parameter, query and body
 * is checked against a schema (api-schemas.ts): anything else is a 400 naming the input.
 */
import { readFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { logger } from '@libp2p/logger'
import type { Registry } from 'prom-client'
import { Hex32, Queries, TxBody, check } from './api-schemas.ts'
import { authorized } from './cookie.ts'
import { TX_TOPIC, type RelayNode } from './relay.ts'
import { InvalidTxError, decodeTx, encodeTx, txId, txToJson } from './tx.ts'

const MAX_BODY_BYTES = 16 * 1024
const dashboardFile = new URL('./dashboard.html', import.meta.url)
const log = logger('hearsay:relay:api')

/** Options of {@link startApi}. */
export interface ApiOptions {
  host: string
  port: number
  /** The token `POST /tx` needs (`Authorization: Bearer <token>`), from the cookie file. */
  token: string
  /** Where `GET /metrics` reads from. */
  registry: Registry
  /** A JSON file listing the API URLs of the other nodes (written by `devnet`), for the dashboard. */
  peersFile?: string
}

type Query = Record<string, string>
type Reply = (status: number, body: unknown) => void

interface Route {
  method: 'GET' | 'POST'
  /** Answers a request whose path matched; `param` is the path's last segment for `/x/:param` routes. */
  handle: (req: IncomingMessage, reply: Reply, query: Query, res: ServerResponse, param: string) => Promise<void> | void
}

const READ_HEADERS = { 'access-control-allow-origin': '*' }

/** Serve the API; resolves with the server and its URL once listening. */
export async function startApi (node: RelayNode, options: ApiOptions): Promise<{ server: Server, url: string }> {
  const routes = routeTable(node, options)
  const server = createServer((req, res) => {
    handle(routes, options, req, res).catch((err: any) => {
      log.error('%s %s failed: %s', req.method, req.url, err?.message ?? err)
      if (!res.headersSent) json(res, 500, { error: 'internal error' })
      else res.destroy()
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

/** Routes by path; `/trace/` and `/nonce/` take the rest of the path as their parameter. */
function routeTable (node: RelayNode, options: ApiOptions): Map<string, Route> {
  const limited = <S extends typeof Queries.mempool | typeof Queries.stats>(schema: S, query: Query, reply: Reply): number | undefined => {
    const parsed = check(schema, query, 'query')
    if (parsed.ok) return parsed.value.limit
    reply(400, { error: parsed.error })
    return undefined
  }
  return new Map<string, Route>([
    ['/', {
      method: 'GET',
      handle: async (_req, _reply, _query, res) => {
        const html = await readFile(dashboardFile)
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': html.byteLength })
        res.end(html)
      }
    }],
    ['/mempool', {
      method: 'GET',
      handle: (_req, reply, query) => {
        const limit = limited(Queries.mempool, query, reply)
        if (limit == null) return
        const txs = node.mempool.list().slice(0, limit).map(e => ({ ...txToJson(e.tx), addedAt: e.addedAt }))
        reply(200, { count: node.mempool.size, bytes: node.mempool.bytes, txs })
      }
    }],
    ['/peers', {
      method: 'GET',
      handle: (_req, reply) => {
        const connections = node.host.getConnections().map(c => ({ peer: c.remotePeer.toString(), addr: c.remoteAddr.toString(), direction: c.direction }))
        reply(200, { peerId: node.host.peerId.toString(), connections })
      }
    }],
    ['/stats', {
      method: 'GET',
      handle: (_req, reply, query) => {
        const limit = limited(Queries.stats, query, reply)
        if (limit == null) return
        reply(200, {
          peerId: node.host.peerId.toString(),
          relay: node.relay,
          mempool: { count: node.mempool.size, bytes: node.mempool.bytes },
          counters: node.counters,
          gossip: node.host.services.gossip.stats(TX_TOPIC),
          process: processFigures(),
          firstSeen: node.traces(limit)
        })
      }
    }],
    ['/trace/', {
      method: 'GET',
      handle: (_req, reply, _query, _res, param) => {
        const id = check(Hex32, param, 'transaction id')
        if (!id.ok) return reply(400, { error: id.error })
        const seen = node.trace(id.value)
        reply(seen == null ? 404 : 200, seen ?? { error: 'never seen here' })
      }
    }],
    ['/nonce/', {
      method: 'GET',
      handle: (_req, reply, _query, _res, param) => {
        const key = check(Hex32, param, 'public key')
        if (!key.ok) return reply(400, { error: key.error })
        reply(200, { next: node.mempool.nextNonce(key.value).toString() })
      }
    }],
    ['/metrics', {
      method: 'GET',
      handle: async (_req, _reply, _query, res) => {
        const text = await options.registry.metrics()
        res.writeHead(200, { 'content-type': options.registry.contentType, 'content-length': Buffer.byteLength(text), ...READ_HEADERS })
        res.end(text)
      }
    }],
    ['/network', {
      method: 'GET',
      handle: async (_req, reply) => {
        // written by devnet while the nodes start: a half-written file reads as no list yet
        const nodes = options.peersFile == null ? [] : await readFile(options.peersFile, 'utf8').then(t => JSON.parse(t) as unknown, () => [])
        reply(200, { nodes })
      }
    }],
    ['/tx', {
      method: 'POST',
      handle: async (req, reply) => { await postTx(node, options.token, req, reply) }
    }]
  ])
}

async function handle (routes: Map<string, Route>, options: ApiOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost')
  const path = url.pathname
  const slash = path.indexOf('/', 1)
  const [key, param] = slash > 0 ? [path.slice(0, slash + 1), path.slice(slash + 1)] : [path, '']
  const route = routes.get(key)
  const method = req.method ?? 'GET'
  const read = route?.method === 'GET'
  const reply: Reply = (status, body) => { json(res, status, body, read ? READ_HEADERS : {}) }
  log('%s %s', method, req.url)
  if (route == null || (slash > 0 && param === '')) {
    reply(404, { error: `no route ${path}` })
    return
  }
  const allow = read ? 'GET, HEAD, OPTIONS' : 'POST, OPTIONS'
  if (method === 'OPTIONS') {
    // a CORS preflight is answered for reads only: browsers then refuse cross-origin writes
    res.writeHead(204, { allow, ...(read ? { ...READ_HEADERS, 'access-control-allow-methods': 'GET, HEAD', 'access-control-max-age': '86400' } : {}) })
    res.end()
    return
  }
  if (method !== route.method && !(read && method === 'HEAD')) {
    res.setHeader('allow', allow)
    reply(405, { error: `${method} not allowed on ${key === path ? path : `${key}…`}; allowed: ${allow}` })
    return
  }
  const query = Object.fromEntries(url.searchParams)
  if (route !== routes.get('/mempool') && route !== routes.get('/stats')) {
    const none = check(Queries.none, query, 'query')
    if (!none.ok) {
      reply(400, { error: none.error })
      return
    }
  }
  await route.handle(req, reply, query, res, param)
}

async function postTx (node: RelayNode, token: string, req: IncomingMessage, reply: Reply): Promise<void> {
  if (!authorized(req.headers.authorization, token)) {
    req.resume()
    reply(401, { error: 'writes need "Authorization: Bearer <token>", the token in the node\'s <data-dir>/.cookie' })
    return
  }
  let body: string
  try {
    body = await readBody(req)
  } catch (err: any) {
    reply(413, { error: err?.message ?? String(err) })
    return
  }
  let json: unknown
  try {
    json = JSON.parse(body)
  } catch (err: any) {
    reply(400, { error: `body: not JSON (${err?.message ?? err})` })
    return
  }
  const parsed = check(TxBody, json, 'body')
  if (!parsed.ok) {
    reply(400, { error: parsed.error })
    return
  }
  try {
    const { id, ...fields } = parsed.value
    // the encoding checks every length and range once more
    const tx = decodeTx(encodeTx(fields))
    if (id != null && id !== txId(tx)) {
      reply(400, { error: `body id: not this transaction's id (${txId(tx)})` })
      return
    }
    reply(202, { id: await node.submit(tx) })
  } catch (err: any) {
    if (err instanceof InvalidTxError) {
      reply(400, { error: err.message })
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

function json (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers })
  res.end(text)
}
