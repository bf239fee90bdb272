/** `hearsay-share search <words...>`: find files by words of their names, over one of three designs. */
import { SearchError, type SearchResult, type SearchVia } from '@hearsay/file-index'
import { count, formatBytes, UsageError, type Output } from './output.ts'
import { dialFailure, FLOOD_PROTOCOL, HEARSAY_DHT_PROTOCOL, joinNetwork, startShareNode, type ShareNodeOptions } from './share-node.ts'
import { interruptSignal } from './signals.ts'
import { table } from './table.ts'

export interface SearchCommandOptions {
  via: SearchVia
  /** Seconds to join through the bootstrap peers, and then to collect answers. */
  timeout?: number
  limit: number
}

/** Longest wait to join through the bootstrap peers without --timeout. */
const JOIN_TIMEOUT_MS = 15_000

/** A query word: a run of two or more letters or digits (what the file index matches on). */
const WORD = /[\p{L}\p{N}]{2,}/u

export async function search (words: string[], options: SearchCommandOptions, nodeOptions: ShareNodeOptions, out: Output): Promise<void> {
  if (options.via === 'central' && nodeOptions.index == null) throw new UsageError('--via central needs --index <multiaddr of an index node>')
  if (!words.some(w => WORD.test(w))) throw new UsageError('search needs at least one word of two or more letters or digits')
  const timeoutMs = options.timeout != null ? options.timeout * 1000 : undefined
  const signal = interruptSignal()
  const node = await startShareNode(nodeOptions)
  try {
    out.event('listening', { peerId: node.peerId.toString(), addrs: node.getMultiaddrs().map(String), dataDir: nodeOptions.dataDir })
    if (options.via !== 'central') {
      if (nodeOptions.bootstrap.length === 0) {
        out.warn('no --bootstrap given: only peers this node already knows can answer')
      } else {
        const joined = await joinNetwork(node, nodeOptions.bootstrap, options.via === 'flood' ? FLOOD_PROTOCOL : HEARSAY_DHT_PROTOCOL, timeoutMs ?? JOIN_TIMEOUT_MS, signal)
        signal.throwIfAborted()
        if (!joined.joined) throw new Error(`cannot reach --bootstrap ${joined.unreachable.join('; ')}`)
      }
    }
    const started = performance.now()
    let results: SearchResult[]
    try {
      results = await node.services.files.search(words.join(' '), { via: options.via, limit: options.limit, signal, ...(timeoutMs != null ? { timeoutMs } : {}) })
    } catch (err: any) {
      if (err instanceof SearchError) throw new UsageError(err.message)
      if (options.via === 'central') throw new Error(`cannot reach --index ${nodeOptions.index}: ${dialFailure(err)}`, { cause: err })
      throw err
    }
    const seconds = (performance.now() - started) / 1000
    for (const r of results) {
      out.event('result', { id: r.id, name: r.name, size: r.size, providers: r.providers, peers: (r.peers ?? []).map(String) })
    }
    if (!out.json && results.length > 0) {
      out.result('results', {}, table(['NAME', 'SIZE', 'PEERS', 'ID'], results.map(r => [r.name, formatBytes(r.size), String(r.providers), r.id])))
    }
    out.event('done', { results: results.length, via: options.via, seconds: Number(seconds.toFixed(3)) },
      `${count(results.length, 'result')} via ${options.via} in ${seconds.toFixed(1)} s`)
  } finally {
    await node.stop()
  }
}
