import { Uint8ArrayList } from 'uint8arraylist'
import { MAX_MANIFEST_BYTES, MAX_PIECE_SIZE } from './manifest.ts'
import { PieceFrame } from './pb/pieces.ts'
import { FrameDecoder } from '@hearsay/sansio'
import type { Decoded } from '@hearsay/interface'

export { FrameDecoder }

/** A decoder of length-prefixed frames that throws before buffering a frame over `maxFrameBytes`. */
export function frameDecoder (maxFrameBytes: number): FrameDecoder {
  return new FrameDecoder(maxFrameBytes)
}

/** The piece transfer protocol. */
export const PIECES_PROTOCOL = '/hearsay/pieces/1.0.0'

/** Bounds of the piece protocol; nothing longer is buffered or decoded. */
export interface PieceWireLimits {
  /** Largest piece data in one frame, and so the largest request. @default 4 MiB */
  maxRequestBytes: number
  /** Largest manifest in a frame. @default 4 MiB */
  maxManifestBytes: number
  /** Largest frame a downloader sends (hello, request, cancel). @default 1 KiB */
  maxControlFrameBytes: number
}

/** Defaults of {@link PieceWireLimits}. */
export const PIECE_WIRE_DEFAULTS: Readonly<PieceWireLimits> = Object.freeze({
  maxRequestBytes: MAX_PIECE_SIZE,
  maxManifestBytes: MAX_MANIFEST_BYTES,
  maxControlFrameBytes: 1024
})

/** Why a provider refused a session or a request. */
export type RejectReason = 'not-found' | 'busy' | 'too-large' | 'invalid'

/** A byte range of a piece. */
export interface PieceRange {
  index: number
  offset: number
  length: number
}

/** One decoded frame of `/hearsay/pieces/1.0.0`. */
export type PieceMessage =
  | { type: 'hello', file: Uint8Array, wantManifest: boolean }
  | { type: 'manifest', manifest: Uint8Array }
  | { type: 'bitfield', bits: Uint8Array }
  | { type: 'have', index: number }
  | ({ type: 'request' } & PieceRange)
  | ({ type: 'cancel' } & PieceRange)
  | { type: 'piece', index: number, offset: number, data: Uint8Array }
  | { type: 'reject', reason: RejectReason, range?: PieceRange, retryAfterMs?: number }

const REASONS: Record<RejectReason, PieceFrame.Reason> = {
  'not-found': PieceFrame.Reason.NOT_FOUND,
  busy: PieceFrame.Reason.BUSY,
  'too-large': PieceFrame.Reason.TOO_LARGE,
  invalid: PieceFrame.Reason.INVALID
}

/** Largest frame a downloader accepts: a full piece or a full manifest, plus field overhead. */
export function maxResponseFrameBytes (limits: PieceWireLimits): number {
  return Math.max(limits.maxRequestBytes, limits.maxManifestBytes) + 64
}

/**
 * Encode a frame as length-prefixed bytes, ready for `stream.send()`. Piece frames are
 * assembled around the data without copying it.
 */
export function encodeFrame (message: PieceMessage): Uint8Array | Uint8ArrayList {
  if (message.type === 'piece') return encodePieceFrame(message.index, message.offset, message.data)
  const frame: PieceFrame = {}
  switch (message.type) {
    case 'hello': frame.hello = { file: message.file as Uint8Array<ArrayBuffer>, wantManifest: message.wantManifest }; break
    case 'manifest': frame.manifest = { manifest: message.manifest as Uint8Array<ArrayBuffer> }; break
    case 'bitfield': frame.bitfield = { bits: message.bits as Uint8Array<ArrayBuffer> }; break
    case 'have': frame.have = { index: message.index }; break
    case 'request': frame.request = range(message); break
    case 'cancel': frame.cancel = range(message); break
    case 'reject':
      frame.reject = { reason: REASONS[message.reason], range: message.range == null ? undefined : range(message.range), retryAfterMs: message.retryAfterMs }
  }
  return lengthPrefixed(PieceFrame.encode(frame))
}

/**
 * A piece frame as {@link encodeFrame} makes it, around `data` as it is (one buffer, or the
 * chunks a piece is stored in): prefix and protobuf header in one small buffer, the data not
 * copied.
 */
export function encodePieceFrame (index: number, offset: number, data: Uint8Array | Uint8ArrayList): Uint8ArrayList {
  const inner: number[] = []
  if (index !== 0) { inner.push(0x08); pushVarint(inner, index) }
  if (offset !== 0) { inner.push(0x10); pushVarint(inner, offset) }
  if (data.byteLength > 0) { inner.push(0x1a); pushVarint(inner, data.byteLength) }
  const innerLength = inner.length + data.byteLength
  const outer: number[] = [0x3a]
  pushVarint(outer, innerLength)
  const frameLength = outer.length + innerLength
  const header: number[] = []
  pushVarint(header, frameLength)
  header.push(...outer, ...inner)
  return new Uint8ArrayList(Uint8Array.from(header), data)
}

function range (r: PieceRange): PieceFrame.Range {
  return { index: r.index, offset: r.offset, length: r.length }
}

/**
 * Decode one frame's bytes (without its length prefix). Never throws: bad input comes back
 * as the infraction to report. Exactly one field must be set.
 */
export function decodeFrame (bytes: Uint8Array | Uint8ArrayList, limits: PieceWireLimits = PIECE_WIRE_DEFAULTS): Decoded<PieceMessage> {
  let frame: PieceFrame
  try {
    frame = PieceFrame.decode(bytes)
  } catch (err: any) {
    return { ok: false, infraction: 'malformed-frame', detail: `undecodable piece frame: ${err?.message ?? err}` }
  }
  const set = [frame.hello, frame.manifest, frame.bitfield, frame.have, frame.request, frame.cancel, frame.piece, frame.reject].filter(f => f != null)
  if (set.length !== 1) return { ok: false, infraction: 'malformed-frame', detail: `a piece frame sets ${set.length} fields, not 1` }
  if (frame.hello != null) {
    if (frame.hello.file.byteLength === 0 || frame.hello.file.byteLength > 128) return { ok: false, infraction: 'malformed-frame', detail: 'bad file id in hello' }
    return { ok: true, frame: { type: 'hello', file: frame.hello.file, wantManifest: frame.hello.wantManifest } }
  }
  if (frame.manifest != null) {
    if (frame.manifest.manifest.byteLength > limits.maxManifestBytes) return { ok: false, infraction: 'oversized-frame', detail: 'manifest over the limit' }
    return { ok: true, frame: { type: 'manifest', manifest: frame.manifest.manifest } }
  }
  if (frame.bitfield != null) return { ok: true, frame: { type: 'bitfield', bits: frame.bitfield.bits } }
  if (frame.have != null) return { ok: true, frame: { type: 'have', index: frame.have.index } }
  if (frame.request != null || frame.cancel != null) {
    const r = (frame.request ?? frame.cancel) as PieceFrame.Range
    if (r.length === 0 || r.length > limits.maxRequestBytes) {
      return { ok: false, infraction: 'oversized-frame', detail: `request of ${r.length} bytes outside 1..${limits.maxRequestBytes}` }
    }
    return { ok: true, frame: { type: frame.request != null ? 'request' : 'cancel', index: r.index, offset: r.offset, length: r.length } }
  }
  if (frame.piece != null) {
    if (frame.piece.data.byteLength === 0 || frame.piece.data.byteLength > limits.maxRequestBytes) {
      return { ok: false, infraction: 'oversized-frame', detail: `piece data of ${frame.piece.data.byteLength} bytes` }
    }
    return { ok: true, frame: { type: 'piece', index: frame.piece.index, offset: frame.piece.offset, data: frame.piece.data } }
  }
  const reject = frame.reject as PieceFrame.Reject
  const reason = (Object.keys(REASONS) as RejectReason[]).find(k => REASONS[k] === reject.reason)
  if (reason == null) return { ok: false, infraction: 'malformed-frame', detail: 'unknown reject reason' }
  return {
    ok: true,
    frame: {
      type: 'reject',
      reason,
      ...(reject.range != null ? { range: range(reject.range) } : {}),
      ...(reject.retryAfterMs != null ? { retryAfterMs: reject.retryAfterMs } : {})
    }
  }
}

/**
 * A piece frame as {@link encodeFrame} lays it out (index, offset, data, each once, in that
 * order), read without copying its data: the data stays the chunks it arrived in. Undefined
 * for any other frame or layout, which {@link decodeFrame} then reads (and judges).
 */
export function decodePieceFrame (bytes: Uint8ArrayList, limits: PieceWireLimits = PIECE_WIRE_DEFAULTS): { index: number, offset: number, data: Uint8ArrayList } | undefined {
  if (bytes.byteLength === 0 || bytes.get(0) !== 0x3a) return undefined
  let at = 1
  const varint = (): number | undefined => {
    let value = 0
    for (let shift = 0; shift < 35; shift += 7) {
      if (at >= bytes.byteLength) return undefined
      const byte = bytes.get(at++)
      value += (byte & 0x7f) * 2 ** shift
      if (byte < 0x80) return value
    }
    return undefined
  }
  const inner = varint()
  if (inner == null || at + inner !== bytes.byteLength) return undefined
  let index = 0
  let offset = 0
  let tag = varint()
  if (tag === 0x08) { index = varint() ?? -1; tag = varint() }
  if (tag === 0x10) { offset = varint() ?? -1; tag = varint() }
  if (tag !== 0x1a || index < 0 || offset < 0 || index > 0xffffffff || offset > 0xffffffff) return undefined
  const length = varint()
  if (length == null || length === 0 || length > limits.maxRequestBytes || at + length !== bytes.byteLength) return undefined
  return { index, offset, data: bytes.sublist(at) }
}

function lengthPrefixed (bytes: Uint8Array): Uint8Array {
  const prefix: number[] = []
  pushVarint(prefix, bytes.byteLength)
  const out = new Uint8Array(prefix.length + bytes.byteLength)
  out.set(prefix)
  out.set(bytes, prefix.length)
  return out
}

function pushVarint (out: number[], value: number): void {
  while (value >= 0x80) {
    out.push((value % 0x80) | 0x80)
    value = Math.floor(value / 0x80)
  }
  out.push(value)
}
