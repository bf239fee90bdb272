/**
 * Gossip across the lab, shared by the integration test and `pnpm bench lab`: hearsay hosts
 * (`gossip-node.ts`, one process each) on public hosts and behind NAT routers, each subscribed to
 * one topic per relay strategy; messages published from public and NATed nodes alike, counted
 * where they are delivered.
 */
import { fileURLToPath } from 'node:url'
import type { JsonProcess } from '../../examples/demo/src/process.ts'
import { RELAYS } from '../../examples/tx-relay/src/relay-names.ts'
import { createLab } from './lab.ts'

const nodeScript = fileURLToPath(new URL('./gossip-node.ts', import.meta.url))
const START_MS = 60_000

/** Delivery of one strategy's messages. */
export interface StrategyDelivery {
  strategy: string
  /** Messages published. */
  published: number
  /** Deliveries seen, over (messages × subscribers other than the publisher). */
  delivered: number
  expected: number
  /** Deliveries at NATed nodes, and how many were expected there. */
  deliveredNatted: number
  expectedNatted: number
  /** From the first publish until every delivery arrived (or the wait ended). */
  ms: number
}

/**
 * `nodes` hosts, the last `natted` each behind a NAT router of its own; per strategy `messages`
 * messages, published round-robin from every node (NATed ones too); waits up to `waitMs` per
 * strategy for every subscriber to deliver every message.
 */
export async function gossipAcrossNats (options: { nodes?: number, natted?: number, messages?: number, waitMs?: number } = {}): Promise<StrategyDelivery[]> {
  const count = options.nodes ?? 8
  const natted = options.natted ?? 3
  const messages = options.messages ?? count
  const pub = Array.from({ length: count - natted }, (_, i) => `g${i + 1}`)
  const nat = Array.from({ length: natted }, (_, i) => `m${i + 1}`)
  const lab = await createLab({ public: pub, homes: nat.map((name, i) => ({ name: `home${i + 1}`, hosts: [name] })) })
  try {
    const procs: Array<{ name: string, natted: boolean, proc: JsonProcess }> = []
    const addrs: string[] = []
    const start = async (name: string, natted: boolean): Promise<void> => {
      const ip = lab.host(name).ip
      const options = natted
        ? { listen: ['/ip4/0.0.0.0/tcp/4001'], bootstrap: addrs.slice(0, 2) }
        : { listen: ['/ip4/0.0.0.0/tcp/4001'], announce: [`/ip4/${ip}/tcp/4001`], bootstrap: addrs.slice(0, 1) }
      const proc = lab.spawn(name, `gossip node ${name}`, nodeScript, [JSON.stringify(options)])
      const started = await proc.waitFor(e => e.event === 'started', START_MS)
      if (!natted) addrs.push(`/ip4/${ip}/tcp/4001/p2p/${started.peerId}`)
      procs.push({ name, natted, proc })
    }
    await start(pub[0], false)
    for (const name of pub.slice(1)) await start(name, false)
    await Promise.all(nat.map(async name => { await start(name, true) }))
    // meshes, subscriptions and the NATed nodes' outbound connections settle first
    await new Promise(resolve => setTimeout(resolve, 5_000))

    const results: StrategyDelivery[] = []
    for (const strategy of RELAYS) {
      const topic = `lab/${strategy}`
      const sent: Array<{ data: string, from: string }> = []
      const t0 = performance.now()
      for (let i = 0; i < messages; i++) {
        const publisher = procs[i % procs.length]
        const data = `${strategy} ${i} from ${publisher.name}`
        publisher.proc.send({ cmd: 'publish', topic, data })
        await publisher.proc.waitFor(e => (e.event === 'published' || e.event === 'publish-error') && e.data === data, 10_000)
        sent.push({ data, from: publisher.name })
      }
      const delivered = (): { all: number, natted: number } => {
        let all = 0
        let nattedCount = 0
        for (const { name, natted, proc } of procs) {
          const got = new Set(proc.events.filter(e => e.event === 'message' && e.topic === topic).map(e => e.data as string))
          const n = sent.filter(s => s.from !== name && got.has(s.data)).length
          all += n
          if (natted) nattedCount += n
        }
        return { all, natted: nattedCount }
      }
      const expected = messages * (count - 1)
      const expectedNatted = sent.reduce((sum, s) => sum + procs.filter(p => p.natted && p.name !== s.from).length, 0)
      const deadline = performance.now() + (options.waitMs ?? 30_000)
      let got = delivered()
      while (got.all < expected && performance.now() < deadline) {
        await new Promise(resolve => setTimeout(resolve, 250))
        got = delivered()
      }
      results.push({ strategy, published: messages, delivered: got.all, expected, deliveredNatted: got.natted, expectedNatted, ms: performance.now() - t0 })
    }
    return results
  } finally {
    await lab.destroy()
  }
}
