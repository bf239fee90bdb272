import type { Decoded } from '@hearsay/interface'

/**
 * The infraction a protobuf decoder's throw stands for: a repeated field over its limit
 * (protons' `MaxLengthError`) is `oversized-frame`, anything else `malformed-frame`. Every
 * `decode…Frame` of hearsay returns this from its `catch`, so bad bytes never throw.
 *
 * @param what - what was being decoded, for the detail (`gossip frame`, `search query`)
 * @param err - what the decoder threw
 */
export function undecodable (what: string, err: unknown): Extract<Decoded<never>, { ok: false }> {
  const oversized = (err as any)?.name === 'MaxLengthError'
  return { ok: false, infraction: oversized ? 'oversized-frame' : 'malformed-frame', detail: `undecodable ${what}: ${(err as any)?.message ?? err}` }
}
