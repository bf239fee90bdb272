/**
 * Frame fuzzing: fast-check arbitraries of hostile input for one length-prefixed protobuf
 * protocol, from a description of its frame (a schema) and a few honest frames. Every case is
 * a list of chunks written on one fresh stream; cases a peer can only send on purpose are
 * marked, so a test can demand that each of them is reported to scoring.
 */
import fc from 'fast-check'
import { WIRE, bfield, concat, key, lengthPrefixed, nestedGroups, varint, vfield } from './protobuf.ts'

/** A field of a schema: a varint, bytes, a string or an embedded message. */
export interface SchemaField {
  n: number
  kind: 'varint' | 'bytes' | 'string' | Schema
  repeated?: boolean
}

/** A protobuf message, as far as fuzzing needs to know it. */
export interface Schema {
  fields: SchemaField[]
}

/** A protocol to fuzz: its frame schema, its limits and some honest frames. */
export interface ProtocolProfile {
  /** Short name, for reports: `pex`, `gossip`, ... */
  name: string
  protocol: string
  /** Schema of one frame (without its length prefix). */
  schema: Schema
  /** Largest frame the target accepts from this peer. */
  maxFrameBytes: number
  /** Honest frames (payloads without prefix), for truncation and splitting. */
  valid: Uint8Array[]
  /**
   * Frames that are each valid, sent in an order (or state) the protocol forbids: on one stream,
   * or each on its own stream for protocols of one frame per stream.
   */
  wrongOrder: Array<{ name: string, frames: Uint8Array[], streamPerFrame?: boolean, infraction?: string }>
  /** Realistic values (ids, topics, words) mixed into random fields, to get past the first checks. */
  pool?: { bytes?: Uint8Array[], strings?: string[] }
}

/** The kinds of hostile input, each a class in the reports. */
export const CASE_KINDS = [
  'random-bytes', 'random-frame', 'structured', 'truncated', 'split', 'huge-length', 'bad-varint',
  'huge-repeated', 'nested-groups', 'wrong-order', 'empty-stream'
] as const
export type CaseKind = typeof CASE_KINDS[number]

/** One fuzz case: chunks written in order on a new stream. */
export interface FuzzCase {
  kind: CaseKind
  chunks: Uint8Array[]
  /** Frames sent first, each on its own stream (a state to violate on the last one). */
  before?: Uint8Array[]
  /** Close our side for writing after the last chunk (a truncated frame ends there). */
  closeWrite: boolean
  /** Only a misbehaving peer sends this: the target must report it. */
  mustReport: boolean
  /** The infraction the target must report for it, when the profile names one. */
  infraction?: string
  /** A short description for failure messages. */
  label: string
}

/** Kinds no honest peer produces (random input may by chance be a valid frame, so it is not here). */
export const MUST_REPORT: ReadonlySet<CaseKind> = new Set<CaseKind>(['truncated', 'huge-length', 'bad-varint', 'huge-repeated', 'wrong-order'])

const anyVarint = fc.oneof(
  fc.integer({ min: 0, max: 300 }),
  fc.integer({ min: 0, max: 0xffffffff }),
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })
)

function valueArb (field: SchemaField, profile: ProtocolProfile, depth: number): fc.Arbitrary<Uint8Array> {
  const kind = field.kind
  if (kind === 'varint') return anyVarint.map(v => vfield(field.n, v))
  if (kind === 'bytes') {
    const pool = profile.pool?.bytes ?? []
    const random = fc.uint8Array({ maxLength: 80 })
    return (pool.length > 0 ? fc.oneof(random, fc.constantFrom(...pool)) : random).map(b => bfield(field.n, b))
  }
  if (kind === 'string') {
    const pool = profile.pool?.strings ?? []
    // ASCII text, or raw bytes that need not be UTF-8 at all (fast-check's full-unicode units
    // would cache a table of every code point, some 80 MiB of heap, and blur the memory check)
    const random = fc.oneof(fc.string({ unit: 'binary-ascii', maxLength: 40 }), fc.uint8Array({ maxLength: 40 }))
    return (pool.length > 0 ? fc.oneof(random, fc.constantFrom(...pool)) : random).map(value => bfield(field.n, value))
  }
  if (depth > 3) return fc.constant(bfield(field.n, new Uint8Array(0)))
  return messageArb(kind, profile, depth + 1).map(m => bfield(field.n, m))
}

/** A random message of `schema`: each field absent, present or repeated, with an unknown field now and then. */
export function messageArb (schema: Schema, profile: ProtocolProfile, depth = 0): fc.Arbitrary<Uint8Array> {
  const fields = schema.fields.map(field => fc.array(valueArb(field, profile, depth), { maxLength: field.repeated === true ? 4 : 1 }))
  const unknown = fc.array(fc.oneof(
    fc.tuple(fc.integer({ min: 16, max: 2 ** 29 - 1 }), fc.uint8Array({ maxLength: 16 })).map(([n, b]) => bfield(n, b)),
    // a known field number with the wrong wire type
    fc.tuple(fc.constantFrom(...schema.fields.map(f => f.n)), fc.constantFrom(WIRE.varint, WIRE.fixed32, WIRE.fixed64, WIRE.bytes))
      .map(([n, wt]) => concat([key(n, wt), wt === WIRE.bytes ? varint(4) : new Uint8Array(0), new Uint8Array(8).fill(0x41)]))
  ), { maxLength: 1 })
  // fields in any order, as the encoding allows
  return fc.tuple(...fields, unknown)
    .chain(parts => fc.shuffledSubarray(parts.flat(), { minLength: parts.flat().length }))
    .map(parts => concat(parts))
}

/** Paths (field numbers from the top) to every repeated field of `schema`, two levels deep. */
function repeatedPaths (schema: Schema, prefix: number[] = [], depth = 0): number[][] {
  const out: number[][] = []
  for (const field of schema.fields) {
    if (field.repeated === true) out.push([...prefix, field.n])
    if (typeof field.kind === 'object' && depth < 2) out.push(...repeatedPaths(field.kind, [...prefix, field.n], depth + 1))
  }
  return out
}

/** The field at `path`'s kind. */
function fieldAt (schema: Schema, path: number[]): SchemaField {
  let current = schema
  let field: SchemaField | undefined
  for (const n of path) {
    field = current.fields.find(f => f.n === n)
    if (field == null) throw new Error(`no field ${n}`)
    if (typeof field.kind === 'object') current = field.kind
  }
  return field as SchemaField
}

/** A frame with the repeated field at `path` holding `count` small elements, within `maxBytes`. */
function repeatedFrame (schema: Schema, path: number[], count: number, maxBytes: number): Uint8Array {
  const field = fieldAt(schema, path)
  const element = field.kind === 'varint'
    ? vfield(field.n, 1)
    : typeof field.kind === 'object'
      ? bfield(field.n, new Uint8Array(0))
      : bfield(field.n, 'x')
  const fits = Math.max(1, Math.min(count, Math.floor((maxBytes - 16) / element.byteLength)))
  let inner: Uint8Array = new Uint8Array(fits * element.byteLength)
  for (let i = 0; i < fits; i++) inner.set(element, i * element.byteLength)
  // wrap in the enclosing messages, innermost first
  for (let depth = path.length - 2; depth >= 0; depth--) inner = bfield(path[depth], inner)
  return inner
}

/** Every kind of hostile case for `profile`, weighted so that each kind shows up in a few hundred runs. */
export function caseArb (profile: ProtocolProfile): fc.Arbitrary<FuzzCase> {
  const max = profile.maxFrameBytes
  const make = (kind: CaseKind, chunks: Uint8Array[], closeWrite: boolean, label: string, mustReport = MUST_REPORT.has(kind)): FuzzCase =>
    ({ kind, chunks, closeWrite, mustReport, label })
  const valid = fc.constantFrom(...profile.valid)
  const paths = repeatedPaths(profile.schema)

  const arbs: Array<{ weight: number, arbitrary: fc.Arbitrary<FuzzCase> }> = [
    { weight: 3, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 2048 }).map(b => make('random-bytes', [b], true, `${b.byteLength} random bytes`)) },
    { weight: 3, arbitrary: fc.uint8Array({ minLength: 1, maxLength: Math.min(4096, max) }).map(b => make('random-frame', [lengthPrefixed(b)], true, `a frame of ${b.byteLength} random bytes`)) },
    { weight: 5, arbitrary: messageArb(profile.schema, profile).filter(m => m.byteLength <= max).map(m => make('structured', [lengthPrefixed(m)], true, `a random ${m.byteLength}-byte message`)) },
    {
      weight: 2,
      arbitrary: valid.chain(v => fc.integer({ min: 1, max: v.byteLength }).map(cut => {
        const whole = lengthPrefixed(v)
        // at least the whole prefix and one byte short of the end: the prefix promises more than comes
        const prefix = whole.byteLength - v.byteLength
        const at = Math.min(whole.byteLength - 1, prefix + cut - 1)
        return make('truncated', [whole.subarray(0, Math.max(prefix, at))], true, `a ${v.byteLength}-byte frame cut after ${Math.max(prefix, at)} bytes`)
      }))
    },
    {
      weight: 1,
      arbitrary: valid.chain(v => fc.integer({ min: 1, max: 7 }).map(size => {
        const whole = lengthPrefixed(v)
        const chunks: Uint8Array[] = []
        for (let i = 0; i < whole.byteLength; i += size) chunks.push(whole.subarray(i, i + size))
        return make('split', chunks, true, `a valid frame in ${chunks.length} chunks of ${size}`, false)
      }))
    },
    {
      weight: 2,
      arbitrary: fc.tuple(
        fc.oneof(fc.constant(2 ** 31), fc.constant(2 ** 32 - 1), fc.constant(2 ** 53 - 1), fc.integer({ min: max + 1, max: 2 ** 31 })),
        fc.integer({ min: 0, max: 64 * 1024 })
      ).map(([length, follow]) => make('huge-length', [concat([varint(length), new Uint8Array(follow).fill(0x61)])], false,
        `a length prefix of ${length} followed by ${follow} bytes`))
    },
    {
      weight: 1,
      arbitrary: fc.integer({ min: 10, max: 64 }).map(n => make('bad-varint', [new Uint8Array(n).fill(0xff)], true, `a length prefix of ${n} continuation bytes`))
    },
    ...(paths.length > 0
      ? [{
          weight: 2,
          arbitrary: fc.tuple(fc.constantFrom(...paths), fc.integer({ min: 1001, max: 200_000 })).map(([path, count]) => {
            const frame = repeatedFrame(profile.schema, path, count, max)
            return make('huge-repeated', [lengthPrefixed(frame)], true, `field ${path.join('.')} repeated to fill ${frame.byteLength} bytes`)
          })
        }]
      : []),
    {
      weight: 1,
      arbitrary: fc.tuple(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1000, max: 200_000 })).map(([field, depth]) => {
        const frame = nestedGroups(field, Math.min(depth, Math.floor((max - 16) / (2 * key(field, 3).byteLength))))
        return make('nested-groups', [lengthPrefixed(frame)], true, `groups of field ${field} nested ${depth} deep`)
      })
    },
    ...(profile.wrongOrder.length > 0
      ? [{
          weight: 2,
          arbitrary: fc.constantFrom(...profile.wrongOrder).map(w => {
            const frames = w.frames.map(f => lengthPrefixed(f))
            const infraction = w.infraction != null ? { infraction: w.infraction } : {}
            if (w.streamPerFrame !== true) return { ...make('wrong-order', frames, true, w.name), ...infraction }
            return { ...make('wrong-order', frames.slice(-1), true, w.name), before: frames.slice(0, -1), ...infraction }
          })
        }]
      : []),
    { weight: 1, arbitrary: fc.constant(make('empty-stream', [], true, 'a stream opened and closed without a byte', false)) }
  ]
  return fc.oneof(...arbs)
}

/** `count` cases for `profile`, the same for the same seed. */
export function sampleCases (profile: ProtocolProfile, count: number, seed: number): FuzzCase[] {
  return fc.sample(caseArb(profile), { numRuns: count, seed })
}
