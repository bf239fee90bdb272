/** The libp2p host every hearsay-share command runs: `@hearsay/host` with the file index. */
import { setTimeout as delay } from 'node:timers/promises'
import { createHost, HEARSAY_DHT_PROTOCOL, InvalidOptionError, type Host } from '@hearsay/host'
import { FLOOD_PROTOCOL } from '@hearsay/file-index'
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
      return new UsageError(`--listen: ${detail}`, { cause: err })
    case 'bootstrap':
      return new UsageError(`--bootstrap: ${detail}`, { cause: err })
    case 'dataDir':
      // LevelDB allows one process per directory; datastore-level reports that as a bare
      // "failed to open", which is nearly always the lock
      if (/failed to open/i.test(detail)) return new Error(`cannot open data dir ${options.dataDir}: is another hearsay-share using it? (give each process its own --data-dir)`, { cause: err })
      return new Error(`--data-dir: ${detail}`, { cause: err })
    default:
      return new Error(`--${err.option}: ${detail}`, { cause: err })
  }
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
