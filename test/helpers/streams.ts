/**
 * Stream accounting for the hostile suites: what an idle host keeps open on a connection, and a
 * check that a host is back to that after a run (a protocol that leaks streams fails it).
 */
import { createHost, type Host } from '@hearsay/host'
import { flood } from '@hearsay/gossip'
import { waitFor } from './wait.ts'

/** Open streams by protocol, over every connection of `host`. */
export function streamsByProtocol (host: Host<any>): Record<string, number> {
  const out: Record<string, number> = {}
  for (const stream of host.getConnections().flatMap(c => c.streams)) {
    const protocol = stream.protocol ?? '(negotiating)'
    out[protocol] = (out[protocol] ?? 0) + 1
  }
  return out
}

/**
 * Streams per protocol that one connection between two idle default hosts keeps open, measured
 * on two fresh hosts on `ips` (each side's count: both ends subscribe to `topic`, so gossip's
 * long-lived stream is there). What a protocol keeps open by design shows here; anything above
 * it after a run is a leak.
 */
export async function idleStreamsPerConnection (ips: [string, string], topic: string, settleMs = 1500): Promise<Record<string, number>> {
  const [a, b] = await Promise.all(ips.map(async ip => await createHost({ listen: [`/ip4/${ip}/tcp/0`], dialFrom: ip, discovery: false })))
  try {
    for (const h of [a, b]) h.services.gossip.subscribe(topic, { strategy: flood() })
    await a.dial(b.getMultiaddrs()[0])
    await waitFor(() => a.services.gossip.getSubscribers(topic).length === 1 && b.services.gossip.getSubscribers(topic).length === 1, { what: 'idle hosts see each other subscribed' })
    await new Promise(resolve => setTimeout(resolve, settleMs))
    const profile: Record<string, number> = {}
    for (const h of [a, b]) {
      for (const [protocol, n] of Object.entries(streamsByProtocol(h))) profile[protocol] = Math.max(profile[protocol] ?? 0, n)
    }
    return profile
  } finally {
    await Promise.all([a.stop(), b.stop()])
  }
}

/**
 * Wait (bounded) until every host holds, for every protocol, no more streams than `perConnection`
 * allows for its connections; throw naming the host and protocols that stay above.
 */
export async function waitForIdleStreams (hosts: Array<Host<any>>, perConnection: Record<string, number>, timeoutMs = 10_000): Promise<void> {
  const excess = (host: Host<any>): string[] => {
    const connections = host.getConnections().length
    return Object.entries(streamsByProtocol(host))
      .filter(([protocol, n]) => n > (perConnection[protocol] ?? 0) * connections)
      .map(([protocol, n]) => `${protocol}: ${n} on ${connections} connections`)
  }
  try {
    await waitFor(() => hosts.every(h => excess(h).length === 0), { what: 'every host back to an idle host\'s streams', timeoutMs })
  } catch (err) {
    const detail = hosts.map(h => ({ host: h.peerId.toString().slice(-8), excess: excess(h) })).filter(d => d.excess.length > 0)
    throw new Error(`${(err as Error).message}: ${JSON.stringify(detail)}`, { cause: err })
  }
}
