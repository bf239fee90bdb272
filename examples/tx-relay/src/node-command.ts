/** `hearsay-relay node`: one relay node and its API, until SIGINT/SIGTERM. */
import { access, constants, mkdir } from 'node:fs/promises'
import type { Server } from 'node:http'
import { bootstrapAddrs, describeBootstrapAddrs, watchBootstrapAddrs } from '../../shared/src/bootstrap-addrs.ts'
import { Registry } from 'prom-client'
import { InvalidOptionError } from '@hearsay/host'
import { startApi } from './api.ts'
import { loadConfig } from './config.ts'
import { removeCookie, writeCookie } from './cookie.ts'
import { DEFAULT_API_PORT, DEFAULT_P2P_PORT, configFile, cookieFile, defaultDataDir } from './data-dir.ts'
import { registerRelayMetrics } from './metrics.ts'
import { UsageError, type Output } from './output.ts'
import { RelayNode } from './relay.ts'
import type { RelayName } from './strategies.ts'

/** The `node` flags, parsed; each unset one comes from the config file, else its default. */
export interface NodeFlags {
  listen?: string[]
  announce?: string[]
  bootstrap?: string[]
  dataDir?: string
  config?: string
  dialFrom?: string
  relay?: RelayName
  api?: { host: string, port: number }
  minFee?: bigint
  peersFile?: string
}

/** The host option each flag feeds, to name the flag when the host refuses a value. */
const FLAG_OF_OPTION: Record<string, string> = { listen: '--listen', announce: '--announce', bootstrap: '--bootstrap', dataDir: '--data-dir', dialFrom: '--dial-from' }

/**
 * Run a node until SIGINT/SIGTERM: config file under the flags, the node, its API and cookie.
 *
 * @throws {@link UsageError} for a flag or config value that cannot be used as given
 */
export async function runNode (flags: NodeFlags, out: Output): Promise<void> {
  const dataDir = flags.dataDir ?? defaultDataDir()
  const config = await loadConfig(flags.config ?? configFile(dataDir), flags.config != null)
  if (flags.peersFile != null) {
    await access(flags.peersFile, constants.R_OK).catch((err: any) => {
      throw new UsageError(`--peers-file: cannot read ${flags.peersFile}: ${err?.code ?? err?.message}`)
    })
  }
  const settings = {
    listen: flags.listen ?? config.listen ?? [`/ip4/127.0.0.1/tcp/${DEFAULT_P2P_PORT}`],
    announce: flags.announce ?? config.announce ?? [],
    bootstrap: flags.bootstrap ?? config.bootstrap ?? [],
    dialFrom: flags.dialFrom ?? config.dialFrom,
    relay: flags.relay ?? config.relay ?? 'dandelion',
    api: flags.api ?? config.api ?? { host: '127.0.0.1', port: DEFAULT_API_PORT },
    minFee: flags.minFee ?? config.minFee ?? 1n
  }
  await mkdir(dataDir, { recursive: true, mode: 0o700 }).catch((err: any) => {
    throw new UsageError(`--data-dir: cannot create ${dataDir}: ${err?.code ?? err?.message}`)
  })

  const registry = new Registry()
  let node: RelayNode
  try {
    node = await RelayNode.start({ ...settings, dataDir, registry })
  } catch (err: any) {
    if (err instanceof InvalidOptionError && err.option === 'listen') {
      throw new Error(`--listen ${settings.listen.join(' ')}: cannot listen (${errorCodes(err).join(', ') || 'no usable address'})`, { cause: err })
    }
    if (err instanceof InvalidOptionError) {
      const flag = FLAG_OF_OPTION[err.option] ?? err.option
      throw new Error(`${flag}: ${err.message.replace(/^invalid option "[^"]+": /, '')}`, { cause: err })
    }
    throw err
  }
  registerRelayMetrics(node, registry)

  const cookie = cookieFile(dataDir)
  let api: { server: Server, url: string }
  try {
    const token = await writeCookie(cookie)
    api = await startApi(node, { ...settings.api, token, registry, peersFile: flags.peersFile })
  } catch (err: any) {
    await node.stop()
    await removeCookie(cookie)
    if (err?.syscall === 'listen') throw new Error(`--api ${settings.api.host}:${settings.api.port}: cannot listen (${err.code})`, { cause: err })
    throw err
  }
  const peerId = node.host.peerId.toString()
  const addrs = node.host.getMultiaddrs().map(String)
  const bootstrap = bootstrapAddrs(node.host.getMultiaddrs(), settings.announce)
  out.event('listening', { peerId, addrs, bootstrap, api: api.url, relay: node.relay, mempool: node.mempool.size, dataDir, cookie },
    `relay node ${peerId}\n  relay strategy: ${node.relay}\n  others can --bootstrap from:\n${describeBootstrapAddrs(bootstrap).replace(/^/gm, '  ')}\n  API and dashboard: ${api.url} (writes need the token in ${cookie})\n  data: ${dataDir}\n  mempool: ${node.mempool.size} transactions`)
  // a public address appears once peers confirm it, a relay address once a relay takes us
  const unwatch = watchBootstrapAddrs(node.host, settings.announce, list => {
    out.event('addresses', { bootstrap: list }, `others can now --bootstrap from:\n${describeBootstrapAddrs(list)}`)
  })

  let stopping = false
  const shutdown = async (): Promise<void> => {
    if (stopping) return
    stopping = true
    unwatch()
    api.server.closeAllConnections()
    await new Promise(resolve => api.server.close(resolve))
    await node.stop()
    await removeCookie(cookie)
    out.event('stopped', {}, 'stopped')
    process.exit(0)
  }
  process.on('SIGINT', () => { void shutdown() })
  process.on('SIGTERM', () => { void shutdown() })
}

/** The system error codes (EADDRINUSE, …) anywhere in an error and its causes, for one line instead of libp2p's many. */
function errorCodes (err: any, seen = new Set<unknown>()): string[] {
  if (err == null || typeof err !== 'object' || seen.has(err)) return []
  seen.add(err)
  const own = [
    ...(typeof err.code === 'string' && /^E[A-Z]+$/.test(err.code) ? [err.code as string] : []),
    // libp2p folds the transport's errors into its message text
    ...[...String(err.message ?? '').matchAll(/\blisten (E[A-Z]+)\b/g)].map(m => m[1])
  ]
  const nested = [err.cause, ...(Array.isArray(err.errors) ? err.errors : [])].flatMap(e => errorCodes(e, seen))
  return [...new Set([...own, ...nested])]
}
