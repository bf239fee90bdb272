/**
 * One relay node: a hearsay host, the transaction topic on the chosen relay strategy, a
 * validated mempool persisted under the data directory, and what the HTTP API reports.
 */
import { join } from 'node:path'
import { LevelDatastore } from 'datastore-level'
import { prometheusMetrics } from '@libp2p/prometheus-metrics'
import type { Registry } from 'prom-client'
import { logger } from '@libp2p/logger'
import { Key } from 'interface-datastore'
import { systemClock } from '@hearsay/sansio'
import { InvalidOptionError, createHost, type Host } from '@hearsay/host'
import type { ValidatedMessage } from '@hearsay/gossip'
import { Mempool, type AddResult } from './mempool.ts'
import { relayStrategy, type RelayName } from './strategies.ts'
import { InvalidTxError, decodeTx, encodeTx, txId, verifyTx, type Tx } from './tx.ts'

/** The gossip topic transactions travel on. */
export const TX_TOPIC = 'hearsay-relay/tx/1'

/** How a node first heard of a transaction: for the dashboard's view of how it spread. */
export interface FirstSeen {
  at: number
  /** Peer it came from; `self` for a transaction submitted to this node's API. */
  from: string
  /** `stem`: privately, in Dandelion's stem phase; `fluff`: publicly; `local`: submitted here. */
  phase: 'stem' | 'fluff' | 'local'
}

/** Options of {@link RelayNode.start}. */
export interface RelayNodeOptions {
  /** TCP multiaddrs to listen on. */
  listen: string | string[]
  /** This node's public addresses, announced as they are (a server's); it then relays for NATed nodes. */
  announce?: string[]
  bootstrap: string[]
  dataDir?: string
  dialFrom?: string
  relay: RelayName
  minFee?: bigint
  mempool?: { maxCount?: number, maxBytes?: number }
  /**
   * Give libp2p's own metrics (`@libp2p/prometheus-metrics`, with prom-client's default
   * `process_*` and `nodejs_*`) this registry. One node per process only: that package keeps its
   * metrics in module-wide state.
   */
  registry?: Registry
}

/** Counters for `/stats` and `/metrics`. */
export interface RelayCounters {
  submitted: number
  accepted: number
  rejected: Record<string, number>
}

const log = logger('hearsay:relay')
const MAX_TRACES = 20_000
const MAX_STEM_POOL = 10_000

export class RelayNode {
  readonly host: Host
  readonly mempool: Mempool
  readonly relay: RelayName
  readonly counters: RelayCounters = { submitted: 0, accepted: 0, rejected: {} }
  readonly #store: LevelDatastore | undefined
  readonly #traces = new Map<string, FirstSeen>()
  /** Dandelion stem-phase transactions: validated and relayed, not yet public. */
  readonly #stemPool = new Map<string, Tx>()
  /** Mempool writes in flight, by transaction id (each settles, then leaves). */
  readonly #writes = new Map<string, Promise<void>>()

  private constructor (host: Host, mempool: Mempool, relay: RelayName, store: LevelDatastore | undefined) {
    this.host = host
    this.mempool = mempool
    this.relay = relay
    this.#store = store
  }

  static async start (options: RelayNodeOptions): Promise<RelayNode> {
    const mempool = new Mempool({ clock: systemClock, minFee: options.minFee, ...options.mempool })
    let store: LevelDatastore | undefined
    if (options.dataDir != null) {
      store = new LevelDatastore(join(options.dataDir, 'mempool'))
      try {
        await store.open()
      } catch (err: any) {
        throw new InvalidOptionError('dataDir', `cannot open the mempool in "${options.dataDir}": ${levelReason(err)}`, { cause: err })
      }
    }
    let host: Host
    try {
      host = await createHost({
        listen: typeof options.listen === 'string' ? [options.listen] : options.listen,
        ...(options.announce != null && options.announce.length > 0 ? { announce: options.announce } : {}),
        bootstrap: options.bootstrap,
        dataDir: options.dataDir,
        dialFrom: options.dialFrom,
        ...(options.registry != null ? { metrics: prometheusMetrics({ registry: options.registry }) } : {})
      })
    } catch (err) {
      await store?.close()
      throw err
    }
    const node = new RelayNode(host, mempool, options.relay, store)
    await node.#load()
    host.services.gossip.subscribe(TX_TOPIC, {
      strategy: relayStrategy(options.relay),
      validate: message => node.#validate(message)
    })
    host.services.gossip.addEventListener('message', event => {
      if (event.detail.topic === TX_TOPIC) node.#delivered(event.detail.id)
    })
    return node
  }

  /**
   * Submit a transaction from the API: validate, add to the mempool, relay.
   *
   * @throws {@link InvalidTxError} with the reason it was refused
   */
  async submit (tx: Tx): Promise<string> {
    this.counters.submitted++
    if (!verifyTx(tx)) this.#refuse('bad-signature', 'the signature does not verify')
    const result = this.#admit(tx)
    if (!result.ok && result.reason !== 'duplicate') this.#refuse(result.reason, result.message)
    // accepted means on disk: a kill -9 after the API answered must not lose it
    await this.#writes.get(result.id)
    this.#trace(result.id, { at: Date.now(), from: 'self', phase: 'local' })
    await this.host.services.gossip.publish(TX_TOPIC, encodeTx(tx))
    return result.id
  }

  /** How this node first heard of `id`. */
  trace (id: string): FirstSeen | undefined {
    return this.#traces.get(id)
  }

  /** The most recent first sightings, newest last. */
  traces (limit = 1000): Array<{ id: string } & FirstSeen> {
    return [...this.#traces].slice(-limit).map(([id, seen]) => ({ id, ...seen }))
  }

  async stop (): Promise<void> {
    await this.host.stop()
    await this.#store?.close()
  }

  /** The gossip validator: each transaction is judged once, in the phase it first arrives in. */
  #validate (message: ValidatedMessage): 'accept' | 'ignore' | 'reject' {
    let tx: Tx
    try {
      tx = decodeTx(message.data)
    } catch (err: any) {
      this.#count(`malformed: ${err?.message ?? err}`)
      return 'reject'
    }
    if (!verifyTx(tx)) {
      this.#count('bad-signature')
      return 'reject'
    }
    this.#trace(message.id, { at: Date.now(), from: message.from.toString(), phase: message.phase })
    if (message.phase === 'stem') {
      // held apart: a stem-phase transaction must not show in this node's public mempool yet
      const checked = this.mempool.check(tx, message.id)
      if (!checked.ok) return this.#refusal(checked)
      if (this.#stemPool.size >= MAX_STEM_POOL) this.#stemPool.delete(this.#stemPool.keys().next().value as string)
      this.#stemPool.set(message.id, tx)
      return 'accept'
    }
    const result = this.#admit(tx, message.id)
    return result.ok ? 'accept' : this.#refusal(result)
  }

  /** A transaction became public here: a stem-phase one moves into the mempool. */
  #delivered (id: string): void {
    const tx = this.#stemPool.get(id)
    if (tx == null) return
    this.#stemPool.delete(id)
    this.#admit(tx, id)
  }

  /** Low fee and double spends are policy, not misbehaviour: ignored, never an infraction. */
  #refusal (result: Extract<AddResult, { ok: false }>): 'ignore' | 'reject' {
    this.#count(result.reason)
    return result.reason === 'duplicate' || result.reason === 'conflict' || result.reason === 'mempool-full' || result.reason === 'fee-too-low'
      ? 'ignore'
      : 'reject'
  }

  #admit (tx: Tx, id = txId(tx)): AddResult {
    const result = this.mempool.add(tx, id)
    if (!result.ok) return result
    this.counters.accepted++
    log('accepted %s (fee %s), mempool %d', id, tx.fee, this.mempool.size)
    this.#persist(id, tx, result.evicted)
    return result
  }

  #persist (id: string, tx: Tx, evicted: string[]): void {
    const store = this.#store
    if (store == null) return
    // relayed transactions are not waited for: a failed write costs a restart's memory of one
    // transaction, not the node; `submit` waits for its own (see #writes)
    const write = Promise.all([
      store.put(new Key(`/tx/${id}`), encodeTx(tx)),
      ...evicted.map(async gone => { await store.delete(new Key(`/tx/${gone}`)) })
    ]).then(() => {}, () => {}).finally(() => { this.#writes.delete(id) })
    this.#writes.set(id, write)
  }

  async #load (): Promise<void> {
    const store = this.#store
    if (store == null) return
    for await (const { key, value } of store.query({ prefix: '/tx/' })) {
      try {
        const tx = decodeTx(value)
        if (!verifyTx(tx) || !this.mempool.add(tx).ok) await store.delete(key)
      } catch {
        await store.delete(key)
      }
    }
  }

  #trace (id: string, seen: FirstSeen): void {
    if (this.#traces.has(id)) return
    this.#traces.set(id, seen)
    if (this.#traces.size > MAX_TRACES) this.#traces.delete(this.#traces.keys().next().value as string)
  }

  #count (reason: string): void {
    const key = reason.startsWith('malformed') ? 'malformed' : reason
    log('refused a transaction: %s', reason)
    this.counters.rejected[key] = (this.counters.rejected[key] ?? 0) + 1
  }

  #refuse (reason: string, message: string): never {
    this.#count(reason)
    throw new InvalidTxError(message)
  }
}

/**
 * Why LevelDB would not open, in words. datastore-level drops LevelDB's own error (its lock
 * error among them), and the usual cause is a second node on the same directory.
 */
function levelReason (err: any): string {
  const text = String(err?.message ?? err).replace(/^Error: /, '')
  return err?.code === 'ERR_OPEN_FAILED' ? `${text}; is another node using this data directory?` : text
}
