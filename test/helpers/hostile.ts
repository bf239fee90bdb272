/**
 * The instruments of the hostile suite: send a fuzz case on a fresh stream, watch a target's
 * reports to scoring, ping it from an honest peer throughout, and weigh its heap.
 */
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import type { FuzzCase } from './fuzz.ts'
import type { Host } from '@hearsay/host'

type PeerId = Host['peerId']

/** One report a target made to its scoring service. */
export interface Reported {
  peer: string
  infraction: string
  detail?: string
  at: number
}

/**
 * Record every report made to `host`'s scoring service. The real service still gets each one
 * (the method is wrapped, not replaced), so scores and bans behave as in production.
 */
export function watchReports (host: Host<any>): Reported[] {
  const scoring = host.services.scoring
  const reports: Reported[] = []
  const report = scoring.report.bind(scoring)
  scoring.report = (peer: PeerId, infraction: string, detail?: string) => {
    reports.push({ peer: peer.toString(), infraction, detail, at: Date.now() })
    report(peer, infraction, detail)
  }
  return reports
}

/** How a case's stream ended, seen from the attacker. */
export type CaseOutcome = 'reset' | 'closed' | 'left-open' | 'refused'

/**
 * Open a stream from `attacker` to `target` on `protocol`, write the case's chunks, close our
 * side if the case says so, and wait up to `settleMs` for the target to end the stream. Then
 * abort it and wait until the target has let go of it, so the next case finds a free slot.
 */
export async function sendCase (attacker: Host<any>, target: Host<any>, protocol: string, c: FuzzCase, settleMs = 40): Promise<CaseOutcome> {
  for (const frame of c.before ?? []) {
    await sendCase(attacker, target, protocol, { kind: c.kind, chunks: [frame], closeWrite: true, mustReport: false, label: 'before' }, settleMs)
  }
  const baseline = inboundStreams(attacker, target, protocol)
  const outcome = await writeCase(attacker, target.peerId, protocol, c, settleMs)
  if (outcome !== 'refused') await released(attacker, target, protocol, baseline)
  return outcome
}

/**
 * Open a stream from `attacker` to the peer `to` (which may live in another process) on
 * `protocol`, write the case's chunks, close our side if the case says so, wait up to `settleMs`
 * for the peer to end the stream, then abort it; say how it ended.
 */
export async function writeCase (attacker: Host<any>, to: PeerId, protocol: string, c: FuzzCase, settleMs = 40): Promise<CaseOutcome> {
  let stream
  try {
    stream = await attacker.dialProtocol(to, protocol, { signal: AbortSignal.timeout(5000) })
  } catch {
    return 'refused'
  }
  const ended = new Promise<void>(resolve => {
    stream.addEventListener('close', () => { resolve() }, { once: true })
  })
  try {
    for (const chunk of c.chunks) {
      if (stream.status !== 'open') break
      if (!stream.send(chunk)) await stream.onDrain({ signal: AbortSignal.timeout(5000) })
    }
    if (c.closeWrite && stream.status === 'open') await stream.close({ signal: AbortSignal.timeout(2000) })
  } catch {
    // the target reset the stream while we wrote: an outcome, not an error
  }
  await Promise.race([ended, new Promise(resolve => setTimeout(resolve, settleMs))])
  const status = stream.status
  const outcome: CaseOutcome = status === 'reset' || status === 'aborted' ? 'reset' : status === 'closed' ? 'closed' : 'left-open'
  stream.abort(new Error('fuzz case done'))
  return outcome
}

/** How many inbound streams of `protocol` from `attacker` the target holds. */
function inboundStreams (attacker: Host<any>, target: Host<any>, protocol: string): number {
  return target.getConnections(attacker.peerId)
    .flatMap(conn => conn.streams)
    .filter(s => s.protocol === protocol && s.direction === 'inbound')
    .length
}

/**
 * Wait (bounded) until `target` holds at most `baseline` inbound streams of `protocol` from
 * `attacker` (the attacker's own services may keep one open, e.g. its gossip stream).
 */
export async function released (attacker: Host<any>, target: Host<any>, protocol: string, baseline = 0, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (inboundStreams(attacker, target, protocol) <= baseline) return
    await new Promise(resolve => setTimeout(resolve, 2))
  }
}

/** What a {@link Pinger} saw. */
export interface PingSummary {
  pings: number
  maxMs: number
  failures: string[]
}

/**
 * Pings `target` from an honest peer every `intervalMs` until stopped; each ping must come back
 * within `limitMs` (a failure is recorded otherwise). Bounded: it stops after `maxPings`.
 */
export class Pinger {
  readonly #from: Host<any>
  readonly #to: PeerId
  readonly #intervalMs: number
  readonly #limitMs: number
  readonly #maxPings: number
  readonly #summary: PingSummary = { pings: 0, maxMs: 0, failures: [] }
  #running = false
  #loop: Promise<void> | undefined

  constructor (from: Host<any>, to: PeerId, options: { intervalMs?: number, limitMs?: number, maxPings?: number } = {}) {
    this.#from = from
    this.#to = to
    this.#intervalMs = options.intervalMs ?? 250
    this.#limitMs = options.limitMs ?? 1000
    this.#maxPings = options.maxPings ?? 10_000
  }

  start (): this {
    this.#running = true
    this.#loop = this.#run()
    return this
  }

  async #run (): Promise<void> {
    while (this.#running && this.#summary.pings < this.#maxPings) {
      const started = performance.now()
      try {
        await this.#from.services.ping.ping(this.#to, { signal: AbortSignal.timeout(this.#limitMs) })
        const ms = performance.now() - started
        this.#summary.maxMs = Math.max(this.#summary.maxMs, ms)
        if (ms > this.#limitMs) this.#summary.failures.push(`ping took ${ms.toFixed(0)} ms`)
      } catch (err: any) {
        this.#summary.failures.push(`ping failed after ${(performance.now() - started).toFixed(0)} ms: ${err?.message ?? err}`)
      }
      this.#summary.pings++
      await new Promise(resolve => setTimeout(resolve, this.#intervalMs))
    }
  }

  /** Pings sent so far. */
  get pings (): number {
    return this.#summary.pings
  }

  /** Stop and return what was seen. */
  async stop (): Promise<PingSummary> {
    this.#running = false
    await this.#loop
    return { ...this.#summary, failures: [...this.#summary.failures] }
  }
}

let gcFunction: (() => void) | undefined

/** The heap in use after a full garbage collection, in bytes. */
export function heapAfterGc (): number {
  if (gcFunction == null) {
    // exposes V8's gc() to a fresh context without restarting node with --expose-gc
    setFlagsFromString('--expose-gc')
    gcFunction = runInNewContext('gc') as () => void
  }
  gcFunction()
  gcFunction()
  return process.memoryUsage().heapUsed
}

/** Tally of a fuzz run against one protocol. */
export interface FuzzTally {
  protocol: string
  cases: number
  bytes: number
  byKind: Record<string, { cases: number, reported: number, outcomes: Record<string, number> }>
  infractions: Record<string, number>
  /** Cases that had to be reported and were not, or not as the infraction they name: label and kind. */
  unreported: string[]
  /** Heap growth over the run, after garbage collection, if measured. */
  heapGrowth?: number
}

/** An empty tally for `protocol`. */
export function newTally (protocol: string): FuzzTally {
  return { protocol, cases: 0, bytes: 0, byKind: {}, infractions: {}, unreported: [] }
}

/**
 * Run `cases` one after another against `target`, tallying outcomes and the reports that came
 * in while each case ran. `afterEach` runs between cases (e.g. to reconnect).
 */
export async function runCases (
  attacker: Host<any>, target: Host<any>, protocol: string, cases: readonly FuzzCase[], reports: Reported[],
  tally: FuzzTally, options: { settleMs?: number, reportWaitMs?: number } = {}
): Promise<void> {
  const attackerKey = attacker.peerId.toString()
  for (const c of cases) {
    const from = reports.length
    const outcome = await sendCase(attacker, target, protocol, c, options.settleMs)
    // a report may trail the stream's end by a tick or two
    const deadline = Date.now() + (c.mustReport ? options.reportWaitMs ?? 500 : 0)
    while (!reports.slice(from).some(r => r.peer === attackerKey) && Date.now() < deadline) {
      await new Promise(resolve => setTimeout(resolve, 5))
    }
    const mine = reports.slice(from).filter(r => r.peer === attackerKey)
    tally.cases++
    tally.bytes += [...c.chunks, ...(c.before ?? [])].reduce((n, b) => n + b.byteLength, 0)
    const kind = (tally.byKind[c.kind] ??= { cases: 0, reported: 0, outcomes: {} })
    kind.cases++
    kind.outcomes[outcome] = (kind.outcomes[outcome] ?? 0) + 1
    if (mine.length > 0) kind.reported++
    for (const r of mine) tally.infractions[r.infraction] = (tally.infractions[r.infraction] ?? 0) + 1
    if (c.mustReport && mine.length === 0) tally.unreported.push(`${c.kind}: ${c.label} (${outcome})`)
    else if (c.infraction != null && !mine.some(r => r.infraction === c.infraction)) {
      tally.unreported.push(`${c.kind}: ${c.label} reported as ${mine.map(r => r.infraction).join(', ')}, not ${c.infraction} (${outcome})`)
    }
  }
}

/**
 * Stop `host`'s own gossip service and read-and-drop what peers gossip to it: an attacker that
 * speaks gossip only through streams it writes by hand, while its victims still keep it as a peer.
 */
export async function silenceGossip (host: Host<any>): Promise<void> {
  await (host.services.gossip as unknown as { stop: () => Promise<void> }).stop()
  await host.handle('/hearsay/gossip/1.0.0', stream => { stream.addEventListener('message', () => {}) })
}
