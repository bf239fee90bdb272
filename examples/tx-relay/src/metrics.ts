import type { RelayNode } from './relay.ts'
import { TX_TOPIC } from './relay.ts'

/** The node's figures in Prometheus text exposition format (version 0.0.4). */
export function prometheusText (node: RelayNode): string {
  const lines: string[] = []
  const metric = (name: string, type: 'counter' | 'gauge', help: string, samples: Array<[Record<string, string>, number]>): void => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`)
    for (const [labels, value] of samples) {
      const text = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/["\\\n]/g, '_')}"`).join(',')
      lines.push(`${name}${text === '' ? '' : `{${text}}`} ${value}`)
    }
  }
  metric('relay_mempool_transactions', 'gauge', 'Transactions in the mempool.', [[{}, node.mempool.size]])
  metric('relay_mempool_bytes', 'gauge', 'Bytes of transactions in the mempool.', [[{}, node.mempool.bytes]])
  metric('relay_peers', 'gauge', 'Connected peers.', [[{}, node.host.getPeers().length]])
  metric('relay_submitted_total', 'counter', 'Transactions submitted to the API.', [[{}, node.counters.submitted]])
  metric('relay_accepted_total', 'counter', 'Transactions accepted into the mempool.', [[{}, node.counters.accepted]])
  metric('relay_rejected_total', 'counter', 'Transactions refused, by reason.',
    Object.entries(node.counters.rejected).map(([reason, n]) => [{ reason }, n]))
  const stats = node.host.services.gossip.stats(TX_TOPIC)
  if (stats != null) {
    const { strategy, peers, ...counters } = stats
    metric('relay_gossip_peers', 'gauge', 'Peers subscribed to the transaction topic.', [[{ strategy }, peers]])
    for (const [name, value] of Object.entries(counters)) {
      metric(`relay_gossip_${name.replace(/[A-Z]/g, c => `_${c.toLowerCase()}`)}_total`, 'counter', `Gossip counter ${name} of the transaction topic.`, [[{ strategy }, value]])
    }
  }
  return lines.join('\n') + '\n'
}
