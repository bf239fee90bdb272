/** `hearsay-share index`: run a central (Napster-style) index that seeders register with and searchers ask. */
import { type Output } from './output.ts'
import { startShareNode, type ShareNodeOptions } from './share-node.ts'
import { aborted } from '@hearsay/sansio/adapter'
import { interruptSignal, interruptedBy } from './signals.ts'

export async function runIndex (nodeOptions: ShareNodeOptions, out: Output): Promise<void> {
  const signal = interruptSignal()
  const node = await startShareNode({ ...nodeOptions, indexServer: true })
  try {
    const addrs = node.getMultiaddrs().map(String)
    out.result('listening', { peerId: node.peerId.toString(), addrs, dataDir: nodeOptions.dataDir, index: true }, out.verbosity === 'quiet' ? addrs[0] : [
      `central index ${node.peerId.toString()}`,
      'listening on:',
      ...addrs.map(a => `  ${a}`),
      `seeders and searchers use: --index ${addrs[0]}`,
      'Ctrl-C to stop'
    ].join('\n'))
    await aborted(signal)
  } finally {
    await node.stop()
  }
  out.event('stopped', { signal: interruptedBy() }, 'stopped')
}
