/**
 * A protobuf wire writer for hostile tests: it writes whatever it is told, including what no
 * encoder would (wrong wire types, fields repeated past every limit, groups nested thousands
 * deep, length prefixes that lie), so the decoders under test meet it. Honest frames come from
 * the packages' own encoders.
 */

/** Wire types of the protobuf encoding. */
export const WIRE = { varint: 0, fixed64: 1, bytes: 2, startGroup: 3, endGroup: 4, fixed32: 5 } as const

/** The unsigned LEB128 varint of `value` (up to 2^64 - 1). */
export function varint (value: number | bigint): Uint8Array {
  let n = BigInt(value)
  if (n < 0n) n = BigInt.asUintN(64, n)
  const out: number[] = []
  while (n >= 0x80n) {
    out.push(Number(n & 0x7fn) | 0x80)
    n >>= 7n
  }
  out.push(Number(n))
  return Uint8Array.from(out)
}

/** Concatenate byte arrays. */
export function concat (parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0))
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.byteLength
  }
  return out
}

/** A field key: field number and wire type. */
export function key (field: number, wireType: number): Uint8Array {
  return varint(BigInt(field) * 8n + BigInt(wireType))
}

/** A varint field. */
export function vfield (field: number, value: number | bigint): Uint8Array {
  return concat([key(field, WIRE.varint), varint(value)])
}

/** A length-delimited field (bytes, string or an embedded message). */
export function bfield (field: number, value: Uint8Array | string): Uint8Array {
  const bytes = typeof value === 'string' ? new TextEncoder().encode(value) : value
  return concat([key(field, WIRE.bytes), varint(bytes.byteLength), bytes])
}

/** `depth` groups of field `field` nested in one another (decoders that recurse to skip them meet their stack). */
export function nestedGroups (field: number, depth: number): Uint8Array {
  const open = key(field, WIRE.startGroup)
  const close = key(field, WIRE.endGroup)
  const out = new Uint8Array(depth * (open.byteLength + close.byteLength))
  for (let i = 0; i < depth; i++) out.set(open, i * open.byteLength)
  const closesAt = depth * open.byteLength
  for (let i = 0; i < depth; i++) out.set(close, closesAt + i * close.byteLength)
  return out
}

/** A frame with a varint length prefix; `declared` lets the prefix lie about the length. */
export function lengthPrefixed (payload: Uint8Array, declared: number | bigint = payload.byteLength): Uint8Array {
  return concat([varint(declared), payload])
}
