/** `hearsay-relay node`: one relay node and its API, until SIGINT/SIGTERM. */
import { printer } from './output.ts'
import { RelayNode } from './relay.ts'
import { startApi } from './api.ts'
import type { RelayName } from './strategies.ts'

export interface NodeCommandOptions {
  listen: string
  bootstrap: string[]
  announce?: string[]
  dataDir?: string
  dialFrom?: string
  relay: RelayName
  api: string
  minFee: string
  peersFile?: string
  json?: boolean
}

export async function runNode (options: NodeCommandOptions): Promise<void> {
  const print = printer(options.json)
  const match = /^(.+):(\d+)$/.exec(options.api)
  if (match == null) throw new Error(`--api must be host:port, got "${options.api}"`)
  const node = await RelayNode.start({
    listen: options.listen,
    bootstrap: options.bootstrap,
    announce: options.announce,
    dataDir: options.dataDir,
    dialFrom: options.dialFrom,
    relay: options.relay,
    minFee: BigInt(options.minFee)
  })
  let api
  try {
    api = await startApi(node, { host: match[1].replace(/^\[|\]$/g, ''), port: Number(match[2]), peersFile: options.peersFile })
  } catch (err) {
    await node.stop()
    throw err
  }
  const peerId = node.host.peerId.toString()
  const addrs = node.host.getMultiaddrs().map(String)
  print('listening', { peerId, addrs, api: api.url, relay: node.relay, mempool: node.mempool.size },
    `relay node ${peerId}\n  relay strategy: ${node.relay}\n  libp2p: ${addrs.join(' ')}\n  API and dashboard: ${api.url}\n  mempool: ${node.mempool.size} transactions`)

  let stopping = false
  const shutdown = async (): Promise<void> => {
    if (stopping) return
    stopping = true
    api.server.closeAllConnections()
    await new Promise(resolve => api.server.close(resolve))
    await node.stop()
    print('stopped', {}, 'stopped')
    process.exit(0)
  }
  process.on('SIGINT', () => { void shutdown() })
  process.on('SIGTERM', () => { void shutdown() })
}
