import { Key, type Datastore } from 'interface-datastore'
import { isBanRecord, type BanRecord } from './ledger.ts'
import type { AbortOptions, Logger } from '@libp2p/interface'

/** Where bans live in the host's datastore: one key per banned peer, `<prefix>/<peer id>`. */
export const DEFAULT_BAN_PREFIX = '/hearsay/scoring/bans'

/** Version of the persisted ban format; records of another version are skipped. */
const FORMAT_VERSION = 1

/** A ban as stored: JSON, with `until: null` for a ban that never ends (JSON has no Infinity). */
interface StoredBan {
  v: number
  peer: string
  reason: string
  since: number
  until: number | null
  strikes: number
  ips: string[]
  manual: boolean
}

/** A fresh copy of a ban's fields but the peer (with its own `ips` array), for storage and events. */
export function banFields (record: BanRecord): Omit<BanRecord, 'peer' | 'ips'> & { ips: string[] } {
  return {
    reason: record.reason,
    since: record.since,
    until: record.until,
    strikes: record.strikes,
    ips: [...record.ips],
    manual: record.manual
  }
}

/** Serialise a ban for the datastore. */
export function encodeBan (record: BanRecord): Uint8Array {
  const stored: StoredBan = {
    v: FORMAT_VERSION,
    peer: record.peer,
    ...banFields(record),
    until: Number.isFinite(record.until) ? record.until : null
  }
  return new TextEncoder().encode(JSON.stringify(stored))
}

/**
 * Parse a stored ban, or explain why it cannot be used. Whatever is in the datastore is
 * treated as untrusted: another version, a corrupted file or a hand edit must never stop a node.
 */
export function decodeBan (bytes: Uint8Array): BanRecord | string {
  let parsed: any
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
  } catch (err: any) {
    return `not UTF-8 JSON (${err?.message ?? err})`
  }
  if (parsed == null || typeof parsed !== 'object') return 'not an object'
  if (parsed.v !== FORMAT_VERSION) return `unknown format version ${parsed.v}`
  const record = { ...parsed, until: parsed.until === null ? Number.POSITIVE_INFINITY : parsed.until }
  delete record.v
  if (!isBanRecord(record)) return 'missing or invalid fields'
  // copy only the known fields: anything else in the stored JSON is dropped
  return { peer: record.peer, ...banFields(record) }
}

/** One entry found under the prefix: its key's last segment and what it decoded to. */
export interface LoadedBan {
  key: string
  peer: string
  record: BanRecord | string
}

/**
 * The persisted copy of the ledger's bans. Writes are queued one after another, so a ban
 * followed at once by an unban can never land in the wrong order, and {@link BanStore.flush}
 * lets `stop()` wait for them before the datastore closes. Failures are logged, never thrown:
 * the ban still holds in memory.
 */
export class BanStore {
  readonly #datastore: Datastore
  readonly #prefix: string
  readonly #log: Logger
  #tail: Promise<void> = Promise.resolve()

  constructor (datastore: Datastore, log: Logger, prefix = DEFAULT_BAN_PREFIX) {
    this.#datastore = datastore
    this.#log = log
    this.#prefix = prefix.replace(/\/+$/, '')
  }

  /** Every entry under the prefix, decoded or with the reason it could not be. */
  async load (options?: AbortOptions): Promise<LoadedBan[]> {
    await this.flush()
    const loaded: LoadedBan[] = []
    for await (const { key, value } of this.#datastore.query({ prefix: `${this.#prefix}/` }, options)) {
      const peer = key.baseNamespace()
      loaded.push({ key: key.toString(), peer, record: decodeBan(value) })
    }
    return loaded
  }

  /** Persist (or overwrite) a ban. */
  put (record: BanRecord): void {
    this.#enqueue(`save the ban of ${record.peer}`, async () => {
      await this.#datastore.put(this.#key(record.peer), encodeBan(record))
    })
  }

  /** Forget the persisted ban of `peer`. */
  delete (peer: string): void {
    this.#enqueue(`delete the ban of ${peer}`, async () => {
      await this.#datastore.delete(this.#key(peer))
    })
  }

  /** Resolves once every write queued so far has finished (or failed and been logged). */
  async flush (): Promise<void> {
    await this.#tail
  }

  #key (peer: string): Key {
    return new Key(`${this.#prefix}/${peer}`)
  }

  #enqueue (what: string, op: () => Promise<void>): void {
    this.#tail = this.#tail.then(op).catch((err: unknown) => {
      this.#log.error('could not %s - %e', what, err)
    })
  }
}
