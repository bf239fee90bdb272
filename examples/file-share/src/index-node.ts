/** `hearsay-share index`: run a central (Napster-style) index that seeders register with and searchers ask. */
import { bootstrapAddrs, describeBootstrapAddrs, watchBootstrapAddrs } from '../../shared/src/bootstrap-addrs.ts'
import { type Output } from './output.ts'
import { startShareNode, type ShareNodeOptions } from './share-node.ts'
import { aborted } from '@hearsay/sansio/adapter'
import { interruptSignal, interruptedBy } from './signals.ts'

export async function runIndex (nodeOptions: ShareNodeOptions, out: Output): Promise<void> {
  const signal = interruptSignal()
  const node = await startShareNode({ ...nodeOptions, indexServer: true })
  try {
    const addrs = node.getMultiaddrs().map(String)
    const bootstrap = bootstrapAddrs(node.getMultiaddrs(), nodeOptions.announce)
    out.result('listening', { peerId: node.peerId.toString(), addrs, bootstrap, dataDir: nodeOptions.dataDir, index: true }, out.verbosity === 'quiet' ? addrs[0] : [
      `central index ${node.peerId.toString()}`,
      'others can --bootstrap from:',
      describeBootstrapAddrs(bootstrap),
      `seeders and searchers use: --index ${bootstrap[0]?.addr ?? '<an address above>'}`,
      'Ctrl-C to stop'
    ].join('\n'))
    const unwatch = watchBootstrapAddrs(node, nodeOptions.announce ?? [], list => {
      out.event('addresses', { bootstrap: list }, `others can now --bootstrap from:\n${describeBootstrapAddrs(list)}`)
    })
    await aborted(signal)
    unwatch()
  } finally {
    await node.stop()
  }
  out.event('stopped', { signal: interruptedBy() }, 'stopped')
}
