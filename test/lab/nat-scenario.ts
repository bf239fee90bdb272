/**
 * The lab's NAT traversal scenario, shared by the integration test and `pnpm bench lab`: public
 * hosts (a relay and bootstrap node, and two more peers, each in its own netgroup, so observed
 * addresses get confirmed) and two homes behind NATs of the given kinds, each with one host.
 */
import { fileURLToPath } from 'node:url'
import type { ChildEvent, JsonProcess } from '../../examples/demo/src/process.ts'
import { createLab, type Lab, type NatKind } from './lab.ts'

const nodeScript = fileURLToPath(new URL('./nat-node.ts', import.meta.url))
const PUBLIC = ['relay', 'p1', 'p2']
const START_MS = 120_000
/**
 * How long a direct connection must stay open after it appeared: past DCUtR's 5 s dial timeout,
 * which once aborted every punched connection (the DHT's keep-alive redials used to hide it).
 */
const HOLD_MS = 6000

interface HomeNode {
  proc: JsonProcess
  peerId: string
}

/** A running NAT scenario. */
export interface NatScenario {
  lab: Lab
  /** `multiaddr` of the relay/bootstrap node and the other public nodes. */
  publicAddrs: string[]
  /** Host `a<i>` behind NAT A and `b<i>` behind NAT B, one pair per trial. */
  pairs: Array<[HomeNode, HomeNode]>
}

/** One hole-punch trial's outcome. */
export interface PunchTrial {
  /** The relayed connection came up (and a ping over it answered). */
  relayed: boolean
  /** Why there was no relayed connection, when there was none. */
  error?: string
  /** A direct connection replaced it. */
  direct: boolean
  /**
   * The pair was punched before the trial's dial (they met through the relay on their own, and
   * DCUtR upgraded that connection), so the dial returned the direct connection: not timed.
   */
  earlier?: boolean
  /** The direct connection was still open a moment later (not closed by a layer that disagreed). */
  directHeld?: boolean
  /** A ping after the upgrade went over the direct connection and came back. */
  directPinged?: boolean
  /** From the relayed connection to the direct one, when there was one. */
  msToDirect?: number
  /** The direct connection's remote address (the other NAT's outside address). */
  directAddr?: string
  /** The addresses each home host announced (its relay address; its NAT mapping only once AutoNAT could dial it back). */
  announced: { a: string[], b: string[] }
  /** The NAT mappings each home host trusted (reported alike by peers in 3 netgroups) and offered DCUtR. */
  trusted: { a: string[], b: string[] }
}

/**
 * Build the lab and start its nodes: one pair of home hosts per trial, since a direct connection's
 * closing leaves its 4-tuple in TIME_WAIT and the same two dial ports could not punch again for a
 * minute.
 */
export async function startNatScenario (natB: NatKind, trials: number): Promise<NatScenario> {
  const names = (p: string): string[] => Array.from({ length: trials }, (_, i) => `${p}${i + 1}`)
  const lab = await createLab({
    public: PUBLIC,
    homes: [{ name: 'homea', hosts: names('a') }, { name: 'homeb', nat: natB, hosts: names('b') }]
  })
  try {
    const publicAddrs: string[] = []
    for (const name of PUBLIC) {
      const ip = lab.host(name).ip
      // every public node announces its address (so it relays too), and joins through the first
      const proc = lab.spawn(name, name, nodeScript, [JSON.stringify({
        listen: ['/ip4/0.0.0.0/tcp/4001'], announce: [`/ip4/${ip}/tcp/4001`], bootstrap: publicAddrs.slice(0, 1)
      })])
      const started = await proc.waitFor(e => e.event === 'started', START_MS)
      publicAddrs.push(`/ip4/${ip}/tcp/4001/p2p/${started.peerId}`)
    }
    const scenario: NatScenario = { lab, publicAddrs, pairs: [] }
    const started = await Promise.all([...names('a'), ...names('b')].map(async name => await startHome(scenario, name)))
    scenario.pairs = started.slice(0, trials).map((a, i) => [a, started[trials + i]])
    return scenario
  } catch (err) {
    await lab.destroy()
    throw err
  }
}

async function startHome (scenario: Pick<NatScenario, 'lab' | 'publicAddrs'>, name: string): Promise<HomeNode> {
  const proc = scenario.lab.spawn(name, name, nodeScript, [JSON.stringify({ listen: ['/ip4/0.0.0.0/tcp/4001'], bootstrap: scenario.publicAddrs })])
  const started = await proc.waitFor(e => e.event === 'started', START_MS)
  return { proc, peerId: started.peerId }
}

const lastAddrs = (p: JsonProcess): string[] => p.events.filter(e => e.event === 'addrs').at(-1)?.addrs ?? []
/** `a` pings `b` over the connection it holds: a `pinged` (with `limited`) or `ping-error` event. */
async function pingPeer (a: HomeNode, b: HomeNode): Promise<ChildEvent> {
  const from = a.proc.events.length
  a.proc.send({ cmd: 'ping', peer: b.peerId })
  return await a.proc.waitFor(e => e.event === 'pinged' || e.event === 'ping-error', 15_000, from)
}

const lastTrusted = (p: JsonProcess): string[] => p.events.filter(e => e.event === 'trusted').at(-1)?.addrs ?? []

/**
 * Trial `i`: wait for b<i>'s relay reservation and a<i>'s trusted NAT mapping, a<i> dials
 * b<i>'s relay address, then wait up to `directMs` for DCUtR's direct connection.
 */
export async function punchTrial (scenario: NatScenario, i: number, directMs: number): Promise<PunchTrial> {
  const [a, b] = scenario.pairs[i]
  try {
    const wanA = scenario.lab.router('homea').wanIp
    // a reservation on a relay, and our own NAT mapping trusted (never, behind a symmetric NAT)
    await b.proc.waitFor(e => e.event === 'addrs' && e.addrs.some((x: string) => x.includes('/p2p-circuit') && !x.startsWith('/ip4/127.')), START_MS)
    await a.proc.waitFor(e => e.event === 'trusted' && e.addrs.some((x: string) => x.startsWith(`/ip4/${wanA}/tcp/`)), START_MS)
    const circuit = lastAddrs(b.proc).find(x => x.includes('/p2p-circuit') && !x.startsWith('/ip4/127.'))!
    const from = a.proc.events.length
    a.proc.send({ cmd: 'dial', addr: circuit })
    const dialed = await a.proc.waitFor(e => e.event === 'dialed' || e.event === 'dial-error', 30_000, from)
    const relayedAt = performance.now()
    if (dialed.event === 'dialed' && dialed.limited === false) {
      // a<i> and b<i> met before the trial (discovery passes peers' relay addresses around) and
      // DCUtR already made that connection direct: the dial returned it. A punch, not timed.
      const ping = await pingPeer(a, b)
      const ok = ping.event === 'pinged' && ping.limited === false
      return { relayed: true, direct: true, earlier: true, directHeld: ok, directPinged: ok, directAddr: dialed.remoteAddr, announced: { a: lastAddrs(a.proc), b: lastAddrs(b.proc) }, trusted: { a: lastTrusted(a.proc), b: lastTrusted(b.proc) } }
    }
    if (dialed.event !== 'dialed' || dialed.limited !== true) {
      return { relayed: false, direct: false, error: dialed.error ?? 'the connection was not relayed', announced: { a: lastAddrs(a.proc), b: lastAddrs(b.proc) }, trusted: { a: lastTrusted(a.proc), b: lastTrusted(b.proc) } }
    }
    const direct = await a.proc.waitFor(e => e.event === 'open' && e.peer === b.peerId && e.limited === false, directMs, from)
      .catch(() => undefined)
    const msToDirect = direct != null ? performance.now() - relayedAt : undefined
    // a direct connection must last and carry streams (one whose layers disagree on who leads
    // dies at its first stream): DCUtR closes the relayed one, so the ping below runs on it
    let directHeld: boolean | undefined
    if (direct != null) {
      await new Promise(resolve => setTimeout(resolve, HOLD_MS))
      directHeld = !a.proc.events.slice(from).some(e => e.event === 'close' && e.peer === b.peerId && e.limited === false && e.remoteAddr === direct.remoteAddr)
    }
    // whichever connection there is now must carry traffic
    const ping = await pingPeer(a, b)
    return {
      relayed: ping.event === 'pinged' || direct != null,
      direct: direct != null,
      directHeld,
      directPinged: direct != null ? ping.event === 'pinged' && ping.limited === false : undefined,
      msToDirect,
      directAddr: direct?.remoteAddr,
      announced: { a: lastAddrs(a.proc), b: lastAddrs(b.proc) },
      trusted: { a: lastTrusted(a.proc), b: lastTrusted(b.proc) }
    }
  } finally {
    await Promise.all([a.proc.stop(3_000), b.proc.stop(3_000)])
  }
}
