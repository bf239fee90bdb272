/** Schemas (valibot) of everything the HTTP API reads from a request: paths, queries, the transaction body. */
import * as v from 'valibot'

const MAX_U64 = 2n ** 64n - 1n

/** 32 bytes as 64 hex characters: a public key or transaction id, lower-cased. */
export const Hex32 = v.pipe(v.string(), v.regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hex characters'), v.toLowerCase())

const Hex64Bytes = v.pipe(v.string(), v.regex(/^[0-9a-fA-F]{128}$/, 'must be 128 hex characters'))

/** A u64 as a JSON number (safe integers) or a decimal string. */
const U64 = v.pipe(
  v.union([v.pipe(v.number(), v.safeInteger(), v.minValue(0)), v.pipe(v.string(), v.regex(/^\d{1,20}$/))], 'must be a non-negative integer'),
  v.transform(value => BigInt(value)),
  v.maxValue(MAX_U64, 'must fit in 64 bits')
)

/** `?limit=n`, 1 ≤ n ≤ max. */
const limit = (max: number): v.GenericSchema<string, number> => v.pipe(
  v.string(),
  v.regex(/^\d{1,6}$/, `must be an integer from 1 to ${max}`),
  v.transform(Number),
  v.minValue(1, `must be an integer from 1 to ${max}`),
  v.maxValue(max, `must be an integer from 1 to ${max}`)
)

/** Query strings of the routes: no other parameters are accepted. */
export const Queries = {
  none: v.strictObject({}),
  mempool: v.strictObject({ limit: v.optional(limit(10_000), '1000') }),
  stats: v.strictObject({ limit: v.optional(limit(20_000), '1000') })
}

/** `POST /tx`: a transaction as `txToJson` writes it (its `id`, if given, must match). */
export const TxBody = v.strictObject({
  id: v.optional(Hex32),
  from: Hex32,
  to: Hex32,
  amount: U64,
  fee: U64,
  nonce: U64,
  signature: Hex64Bytes
})

/** Parse `input`, or return the first issue as `where: message` for a 400 answer. */
export function check<S extends v.GenericSchema> (schema: S, input: unknown, where: string): { ok: true, value: v.InferOutput<S> } | { ok: false, error: string } {
  const result = v.safeParse(schema, input)
  if (result.success) return { ok: true, value: result.output }
  const issue = result.issues[0]
  const path = v.getDotPath(issue)
  // valibot words a key issue as "Invalid key: Expected never…"; say it for people
  const message = issue.type === 'strict_object' && issue.kind === 'schema' && path != null
    ? (issue.expected === 'never' ? 'not allowed' : 'missing')
    : issue.message
  return { ok: false, error: `${where}${path != null ? ` ${path}` : ''}: ${message}` }
}
