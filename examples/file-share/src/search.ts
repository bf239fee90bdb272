/** `hearsay-share search <words...>`: find files by words of their names, over one of three designs. */
import { SearchError, type SearchVia } from '@hearsay/file-index'
import { formatBytes, UsageError, type Output } from './output.ts'
import { FLOOD_PROTOCOL, HEARSAY_DHT_PROTOCOL, startShareNode, waitForProtocolPeer, type ShareNodeOptions } from './share-node.ts'
import { interruptSignal } from './signals.ts'

export interface SearchCommandOptions {
  via: SearchVia
  /** Seconds to collect answers. */
  timeout?: number
  limit: number
}

export async function search (words: string[], options: SearchCommandOptions, nodeOptions: ShareNodeOptions, out: Output): Promise<void> {
  if (options.via === 'central' && nodeOptions.index == null) throw new UsageError('--via central needs --index <multiaddr of an index node>')
  const signal = interruptSignal()
  const node = await startShareNode(nodeOptions)
  try {
    out.event('listening', { peerId: node.peerId.toString(), addrs: node.getMultiaddrs().map(String), dataDir: nodeOptions.dataDir })
    if (options.via !== 'central') {
      if (nodeOptions.bootstrap.length === 0) out.warn('no --bootstrap given: only peers found on this machine\'s store can answer')
      else await waitForProtocolPeer(node, options.via === 'flood' ? FLOOD_PROTOCOL : HEARSAY_DHT_PROTOCOL, 15_000, signal)
    }
    const started = performance.now()
    let results
    try {
      results = await node.services.files.search(words.join(' '), {
        via: options.via,
        limit: options.limit,
        signal,
        ...(options.timeout != null ? { timeoutMs: options.timeout * 1000 } : {})
      })
    } catch (err: any) {
      if (err instanceof SearchError) throw new UsageError(err.message)
      throw err
    }
    const seconds = (performance.now() - started) / 1000
    for (const r of results) {
      out.event('result', { id: r.id, name: r.name, size: r.size, providers: r.providers, peers: (r.peers ?? []).map(String) })
    }
    if (!out.json) printTable(results, out)
    out.event('done', { results: results.length, via: options.via, seconds: Number(seconds.toFixed(3)) },
      `${results.length} result${results.length === 1 ? '' : 's'} via ${options.via} in ${seconds.toFixed(1)} s`)
  } finally {
    await node.stop()
  }
}

function printTable (results: Array<{ id: string, name: string, size: number, providers: number }>, out: Output): void {
  if (results.length === 0) return
  const rows = [['NAME', 'SIZE', 'PEERS', 'ID'], ...results.map(r => [r.name, formatBytes(r.size), String(r.providers), r.id])]
  const widths = rows[0].map((_, c) => Math.max(...rows.map(row => row[c].length)))
  for (const row of rows) out.info(row.map((cell, c) => c === row.length - 1 ? cell : cell.padEnd(widths[c])).join('  '))
}
