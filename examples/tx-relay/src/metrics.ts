/**
 * The node's Prometheus metrics, on prom-client: the relay's own (`hearsay_relay_*`), read from
 * the node at each scrape, next to libp2p's (`libp2p_*`, from `@libp2p/prometheus-metrics`) and
 * prom-client's defaults (`process_*`, `nodejs_*`) when the registry was given to the node.
 */
import { Counter, Gauge, type Registry } from 'prom-client'
import type { Gossip } from '@hearsay/gossip'
import { TX_TOPIC, type RelayNode } from './relay.ts'

/** The transaction topic's gossip counters (`@hearsay/gossip` does not export their type by name). */
type TopicStats = NonNullable<ReturnType<Gossip['stats']>>

/** Gossip counters of the transaction topic: metric name (after `hearsay_relay_gossip_`) and help. */
const GOSSIP_COUNTERS: Record<Exclude<keyof TopicStats, 'strategy' | 'peers'>, [string, string]> = {
  published: ['published_messages_total', 'Transactions this node published on the transaction topic.'],
  received: ['received_messages_total', 'Transaction frames received from peers, duplicates included.'],
  duplicates: ['duplicate_messages_total', 'Transactions received that this node already had.'],
  delivered: ['delivered_messages_total', 'Transactions passed on to the mempool for the first time.'],
  rejected: ['rejected_messages_total', 'Transactions from peers refused as invalid (each an infraction of the sender).'],
  ignored: ['ignored_messages_total', 'Transactions from peers dropped by policy (low fee, double spend, full mempool), without an infraction.'],
  dropped: ['dropped_messages_total', 'Transactions dropped because too many were waiting to be validated.'],
  sent: ['sent_messages_total', 'Transaction frames sent to peers.'],
  bytesIn: ['received_bytes_total', 'Transaction payload bytes received from peers.'],
  bytesOut: ['sent_bytes_total', 'Transaction payload bytes sent to peers.'],
  announcedIn: ['announced_ids_received_total', 'Transaction ids peers announced to this node (announce relay).'],
  announcedOut: ['announced_ids_sent_total', 'Transaction ids this node announced to peers (announce relay).'],
  requestedIn: ['requested_ids_received_total', 'Transaction ids peers asked this node for (announce relay).'],
  requestedOut: ['requested_ids_sent_total', 'Transaction ids this node asked peers for (announce relay).'],
  served: ['served_messages_total', 'Requested transactions this node sent from its cache (announce relay).'],
  embargoes: ['embargo_fires_total', 'Dandelion++ stems this node fluffed because their embargo timer ran out (a stem lost on its way).']
}

/**
 * A counter or gauge whose values are read from the node at each scrape: it is reset first, then
 * each label set is added from zero (prom-client counters only add; gauges add the same way).
 */
function readAtScrape (Metric: typeof Counter | typeof Gauge, registry: Registry, name: string, help: string, labelNames: string[], read: () => Array<[Record<string, string>, number]>): void {
  new Metric({
    name,
    help,
    labelNames,
    registers: [registry],
    collect (this: Counter | Gauge) {
      this.reset()
      for (const [labels, value] of read()) this.inc(labels, value)
    }
  })
}

const countFrom = readAtScrape.bind(null, Counter)
const gaugeFrom = readAtScrape.bind(null, Gauge)

/** Register the relay's metrics for `node` in `registry`. */
export function registerRelayMetrics (node: RelayNode, registry: Registry): void {
  const stats = (): TopicStats | undefined => node.host.services.gossip.stats(TX_TOPIC)
  gaugeFrom(registry, 'hearsay_relay_mempool_transactions', 'Transactions waiting in the mempool.', [], () => [[{}, node.mempool.size]])
  gaugeFrom(registry, 'hearsay_relay_mempool_bytes', 'Size of the transactions in the mempool, in bytes.', [], () => [[{}, node.mempool.bytes]])
  gaugeFrom(registry, 'hearsay_relay_peers', 'Peers this node is connected to.', [], () => [[{}, node.host.getPeers().length]])
  countFrom(registry, 'hearsay_relay_transactions_submitted_total', 'Transactions submitted to this node\'s HTTP API.', [], () => [[{}, node.counters.submitted]])
  countFrom(registry, 'hearsay_relay_transactions_accepted_total', 'Transactions accepted into the mempool, from the API or from peers.', [], () => [[{}, node.counters.accepted]])
  countFrom(registry, 'hearsay_relay_transactions_rejected_total', 'Transactions refused, by reason: bad-signature, malformed, fee-too-low, conflict (double spend), duplicate, mempool-full.',
    ['reason'], () => Object.entries(node.counters.rejected).map(([reason, n]) => [{ reason }, n]))
  gaugeFrom(registry, 'hearsay_relay_gossip_peers', 'Peers subscribed to the transaction topic, by relay strategy.', ['strategy'], () => {
    const s = stats()
    return s == null ? [] : [[{ strategy: s.strategy }, s.peers]]
  })
  for (const [key, [suffix, help]] of Object.entries(GOSSIP_COUNTERS)) {
    countFrom(registry, `hearsay_relay_gossip_${suffix}`, help, ['strategy'], () => {
      const s = stats()
      return s == null ? [] : [[{ strategy: s.strategy }, s[key as keyof typeof GOSSIP_COUNTERS]]]
    })
  }
}
