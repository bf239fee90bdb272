/**
 * The node's config file: JSON, keys named as the `node` flags in camelCase. Flags given on the
 * command line override it. Every value goes through the same parser as its flag, and an
 * unknown key or bad value is a usage error naming the file and the key.
 */
import { readFile } from 'node:fs/promises'
import { InvalidArgumentError } from 'commander'
import * as v from 'valibot'
import { UsageError } from './output.ts'
import { announceAddr, bootstrapAddr, hostPort, integerIn, ipAddress, listenAddr, relayName } from './options.ts'
import type { RelayName } from './strategies.ts'

const ConfigSchema = v.strictObject({
  listen: v.optional(v.union([v.string(), v.array(v.string())])),
  announce: v.optional(v.array(v.string())),
  bootstrap: v.optional(v.array(v.string())),
  dialFrom: v.optional(v.string()),
  relay: v.optional(v.string()),
  api: v.optional(v.string()),
  minFee: v.optional(v.union([v.pipe(v.number(), v.safeInteger()), v.string()]))
})

/** What a config file may set (each key optional). */
export interface RelayConfig {
  listen?: string[]
  announce?: string[]
  bootstrap?: string[]
  dialFrom?: string
  relay?: RelayName
  api?: { host: string, port: number }
  minFee?: bigint
}

/**
 * Read a config file. A missing file is an empty config unless `required` (named by `--config`).
 *
 * @throws {@link UsageError} naming the file and key at fault
 */
export async function loadConfig (file: string, required: boolean): Promise<RelayConfig> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err: any) {
    if (err?.code === 'ENOENT' && !required) return {}
    throw new UsageError(`--config: cannot read ${file}: ${err?.code ?? err?.message ?? err}`)
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (err: any) {
    throw new UsageError(`${file}: not JSON (${err?.message ?? err})`)
  }
  const parsed = v.safeParse(ConfigSchema, json)
  if (!parsed.success) {
    const issue = parsed.issues[0]
    const key = v.getDotPath(issue)
    const unknown = issue.type === 'strict_object' && issue.expected === 'never'
    throw new UsageError(`${file}: ${key != null ? `"${key}": ` : ''}${unknown ? `unknown key (known: ${Object.keys(ConfigSchema.entries).join(', ')})` : issue.message}`)
  }
  const raw = parsed.output
  const field = <T>(key: string, parse: () => T): T => {
    try {
      return parse()
    } catch (err: any) {
      if (err instanceof InvalidArgumentError) throw new UsageError(`${file}: "${key}": ${err.message}`)
      throw err
    }
  }
  const config: RelayConfig = {}
  if (raw.listen != null) config.listen = field('listen', () => (typeof raw.listen === 'string' ? [raw.listen] : raw.listen ?? []).map(listenAddr))
  if (raw.announce != null) config.announce = field('announce', () => raw.announce?.map(announceAddr))
  if (raw.bootstrap != null) config.bootstrap = field('bootstrap', () => raw.bootstrap?.map(bootstrapAddr))
  if (raw.dialFrom != null) config.dialFrom = field('dialFrom', () => ipAddress(raw.dialFrom ?? ''))
  if (raw.relay != null) config.relay = field('relay', () => relayName(raw.relay ?? ''))
  if (raw.api != null) config.api = field('api', () => hostPort(raw.api ?? ''))
  if (raw.minFee != null) config.minFee = field('minFee', () => integerIn(0n, 2n ** 64n - 1n)(String(raw.minFee)))
  return config
}
