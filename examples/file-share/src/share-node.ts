/** The libp2p host every hearsay-share command runs: `@hearsay/host` with the file index. */
import { createServer } from 'node:net'
import { setTimeout as delay } from 'node:timers/promises'
import { createHost, HEARSAY_DHT_PROTOCOL, InvalidOptionError, type Host } from '@hearsay/host'
import { FLOOD_PROTOCOL } from '@hearsay/file-index'
import { multiaddr } from '@multiformats/multiaddr'
import { UsageError } from './output.ts'

/** Options every command shares. */
export interface ShareNodeOptions {
  listen: string[]
  /** Public addresses announced as they are (a server's), without waiting for confirmation. */
  announce?: string[]
  bootstrap: string[]
  dataDir: string
  /** Source address of outgoing connections (for many nodes on one machine). */
  dialFrom?: string
  /** Multiaddr of a central index to register with and query. */
  index?: string
  /** Run a central index on this node. */
  indexServer?: boolean
  /** Cap on upload throughput, bytes per second. */
  uploadBytesPerSecond?: number
}

/** Start the host, turning option errors into messages that name the flag. */
export async function startShareNode (options: ShareNodeOptions): Promise<Host> {
  if (options.dialFrom != null) await checkLocalAddress(options.dialFrom)
  try {
    return await createHost({
      listen: options.listen,
      ...(options.announce != null ? { announce: options.announce } : {}),
      bootstrap: options.bootstrap,
      dataDir: options.dataDir,
      dialFrom: options.dialFrom,
      files: {
        ...(options.uploadBytesPerSecond != null ? { uploadBytesPerSecond: options.uploadBytesPerSecond } : {}),
        search: {
          central: {
            ...(options.index != null ? { index: options.index } : {}),
            ...(options.indexServer === true ? { server: true } : {})
          }
        }
      }
    })
  } catch (err: any) {
    throw explain(err, options)
  }
}

function explain (err: any, options: ShareNodeOptions): Error {
  if (!(err instanceof InvalidOptionError)) return err instanceof Error ? err : new Error(String(err))
  const detail = err.message.replace(/^invalid option "[^"]+": /, '')
  switch (err.option) {
    case 'listen':
      if (/EADDRINUSE|in use/i.test(detail)) return new Error(`cannot listen on ${options.listen.join(', ')}: address already in use`, { cause: err })
      if (/EADDRNOTAVAIL/.test(detail)) return new UsageError(`--listen: ${options.listen.join(', ')}: not an address of this machine`, { cause: err })
      if (/EACCES/.test(detail)) return new Error(`cannot listen on ${options.listen.join(', ')}: permission denied (ports below 1024 need privileges)`, { cause: err })
      return new UsageError(`--listen: ${detail}`, { cause: err })
    case 'bootstrap':
      return new UsageError(`--bootstrap: ${detail}`, { cause: err })
    case 'dataDir':
      // LevelDB allows one process per directory; datastore-level reports that as a bare
      // "failed to open", which is nearly always the lock
      if (/failed to open/i.test(detail)) return new Error(`cannot open data dir ${options.dataDir}: is another hearsay-share using it? (give each process its own --data-dir)`, { cause: err })
      if (/EACCES|EPERM|EROFS/.test(detail)) return new Error(`--data-dir: cannot write in ${options.dataDir}: permission denied`, { cause: err })
      if (/ENOTDIR|EEXIST/.test(detail)) return new UsageError(`--data-dir: ${options.dataDir} is not a directory`, { cause: err })
      return new UsageError(`--data-dir: ${detail}`, { cause: err })
    default:
      return new Error(`--${err.option}: ${detail}`, { cause: err })
  }
}

/** `--dial-from` must be an address this machine can send from: binding to it says so at once. */
async function checkLocalAddress (ip: string): Promise<void> {
  const server = createServer()
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(0, ip, resolve)
    })
  } catch (err: any) {
    if (err?.code === 'EADDRNOTAVAIL') throw new UsageError(`--dial-from: ${ip} is not an address of this machine`)
    throw new Error(`--dial-from: cannot use ${ip}: ${err?.code ?? err?.message}`, { cause: err })
  } finally {
    server.close()
  }
}

/** How joining the network through `--bootstrap` went. */
export interface Joined {
  /** A peer speaking the protocol is connected. */
  joined: boolean
  /** `<bootstrap address>: <reason>` for every bootstrap peer that could not be reached in time. */
  unreachable: string[]
}

/**
 * Join through the bootstrap peers: wait (at most `timeoutMs`) for a peer speaking `protocol`,
 * and dial each bootstrap address ourselves so that one nobody answers at can be named, with
 * the reason, in the error a user sees.
 */
export async function joinNetwork (node: Host, bootstrap: string[], protocol: string, timeoutMs: number, signal?: AbortSignal): Promise<Joined> {
  const failures = new Map<string, string>()
  timeoutMs = Math.max(Math.round(timeoutMs), 1)
  const dialSignal = AbortSignal.any([AbortSignal.timeout(timeoutMs), ...(signal != null ? [signal] : [])])
  const dials = bootstrap.map(async addr => {
    try {
      await node.dial(multiaddr(addr), { signal: dialSignal })
    } catch (err: any) {
      failures.set(addr, dialSignal.aborted ? 'no answer in time' : dialFailure(err))
    }
  })
  const joined = await waitForProtocolPeer(node, protocol, timeoutMs, signal)
  // a dial still going when the wait ended (without a peer) is about to fail with the timeout
  if (!joined) await Promise.all(dials)
  const unreachable = joined ? [] : bootstrap.map(addr => `${addr}: ${failures.get(addr) ?? 'connected, but it does not speak the protocol'}`)
  return { joined, unreachable }
}

/** A dial error in a few words: libp2p nests the socket's errno inside aggregate errors. */
export function dialFailure (err: any): string {
  const codes = new Set<string>()
  const visit = (e: any, depth: number): void => {
    if (e == null || depth > 4) return
    if (typeof e.code === 'string' && /^E[A-Z]+$/.test(e.code)) codes.add(e.code)
    for (const inner of e.errors ?? []) visit(inner, depth + 1)
    visit(e.cause, depth + 1)
  }
  visit(err, 0)
  const words: Record<string, string> = {
    ECONNREFUSED: 'connection refused (nothing listens there)',
    ETIMEDOUT: 'no answer in time',
    EHOSTUNREACH: 'host unreachable',
    ENETUNREACH: 'network unreachable',
    ECONNRESET: 'connection reset',
    EADDRNOTAVAIL: 'cannot dial it from --dial-from\'s address'
  }
  const code = [...codes][0]
  if (code != null) return words[code] ?? code
  return String(err?.message ?? err).split('\n')[0]
}

/**
 * Wait (at most `timeoutMs`) until a connected peer speaks `protocol` — the DHT before a lookup,
 * the flood protocol before a flooded search — so a command just started does not query an
 * empty network. Resolves false on timeout.
 *
 * The services learn of such a peer from a libp2p topology, which identify notifies only after
 * it has written the peer store: a topology of our own (registered after theirs, so notified
 * after them) is the signal; a peer already in the peer store gets a short grace period instead.
 */
export async function waitForProtocolPeer (node: Host, protocol: string, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
  const controller = new AbortController()
  const stop = AbortSignal.any([controller.signal, AbortSignal.timeout(timeoutMs), ...(signal != null ? [signal] : [])])
  let found = false
  const topology = await node.register(protocol, { onConnect: () => { found = true; controller.abort() } })
  try {
    while (!stop.aborted) {
      for (const connection of node.getConnections()) {
        const peer = await node.peerStore.get(connection.remotePeer).catch(() => undefined)
        if (peer?.protocols.includes(protocol) === true) {
          await sleep(GRACE_MS, stop)
          return true
        }
      }
      await sleep(POLL_MS, stop)
    }
    return found
  } finally {
    node.unregister(topology)
  }
}

const POLL_MS = 100
const GRACE_MS = 250

/** Wait `ms`, or less when `signal` aborts. */
async function sleep (ms: number, signal: AbortSignal): Promise<void> {
  await delay(ms, undefined, { signal }).catch(() => {})
}

export { HEARSAY_DHT_PROTOCOL, FLOOD_PROTOCOL }
