import { decodeMessage, encodeMessage, enumeration, MaxLengthError, message, streamMessage } from 'protons-runtime'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export interface Manifest {
  name: string
  size: number
  pieceSize: number
  pieces: Uint8Array<ArrayBuffer>[]
}

export namespace Manifest {
  let _codec: Codec<Manifest>

  export const codec = (): Codec<Manifest> => {
    if (_codec == null) {
      _codec = message<Manifest>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.name != null && obj.name !== '')) {
          w.uint32(10)
          w.string(obj.name)
        }

        if ((obj.size != null && obj.size !== 0)) {
          w.uint32(16)
          w.uint64Number(obj.size)
        }

        if ((obj.pieceSize != null && obj.pieceSize !== 0)) {
          w.uint32(24)
          w.uint32(obj.pieceSize)
        }

        if (obj.pieces != null && obj.pieces.length > 0) {
          for (const value of obj.pieces) {
            w.uint32(34)
            w.bytes(value)
          }
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          name: '',
          size: 0,
          pieceSize: 0,
          pieces: []
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.name = reader.string()
              break
            }
            case 2: {
              obj.size = reader.uint64Number()
              break
            }
            case 3: {
              obj.pieceSize = reader.uint32()
              break
            }
            case 4: {
              if (opts.limits?.pieces != null && obj.pieces.length === opts.limits.pieces) {
                throw new MaxLengthError('Decode error - repeated field "pieces" had too many elements')
              }

              obj.pieces.push(reader.bytes())
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const obj = {
          pieces: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.name`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.size`,
                value: reader.uint64Number()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.pieceSize`,
                value: reader.uint32()
              }
              break
            }
            case 4: {
              if (opts.limits?.pieces != null && obj.pieces === opts.limits.pieces) {
                throw new MaxLengthError('Streaming decode error - repeated field "pieces" had too many elements')
              }

              yield {
                field: `${prefix}.pieces[]`,
                index: obj.pieces,
                value: reader.bytes()
              }

              obj.pieces++

              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface ManifestNameFieldEvent {
    field: '$.name'
    value: string
  }

  export interface ManifestSizeFieldEvent {
    field: '$.size'
    value: number
  }

  export interface ManifestPieceSizeFieldEvent {
    field: '$.pieceSize'
    value: number
  }

  export interface ManifestPiecesFieldEvent {
    field: '$.pieces[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<Manifest>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Manifest.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Manifest>): Manifest {
    return decodeMessage(buf, Manifest.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Manifest>): Generator<ManifestNameFieldEvent | ManifestSizeFieldEvent | ManifestPieceSizeFieldEvent | ManifestPiecesFieldEvent> {
    return streamMessage(buf, Manifest.codec(), opts)
  }
}

export interface PieceFrame {
  hello?: PieceFrame.Hello
  manifest?: PieceFrame.ManifestBytes
  bitfield?: PieceFrame.Bitfield
  have?: PieceFrame.Have
  request?: PieceFrame.Range
  cancel?: PieceFrame.Range
  piece?: PieceFrame.Piece
  reject?: PieceFrame.Reject
}

export namespace PieceFrame {
  export enum Reason {
    NOT_FOUND = 'NOT_FOUND',
    BUSY = 'BUSY',
    TOO_LARGE = 'TOO_LARGE',
    INVALID = 'INVALID'
  }

  enum __ReasonValues {
    NOT_FOUND = 0,
    BUSY = 1,
    TOO_LARGE = 2,
    INVALID = 3
  }

  export namespace Reason {
    export const codec = (): Codec<Reason> => {
      return enumeration<Reason>(__ReasonValues)
    }
  }

  export interface Hello {
    file: Uint8Array<ArrayBuffer>
    wantManifest: boolean
  }

  export namespace Hello {
    let _codec: Codec<Hello>

    export const codec = (): Codec<Hello> => {
      if (_codec == null) {
        _codec = message<Hello>((obj, w, opts = {}) => {
          if (opts.lengthDelimited !== false) {
            w.fork()
          }

          if ((obj.file != null && obj.file.byteLength > 0)) {
            w.uint32(10)
            w.bytes(obj.file)
          }

          if ((obj.wantManifest != null && obj.wantManifest !== false)) {
            w.uint32(16)
            w.bool(obj.wantManifest)
          }

          if (opts.lengthDelimited !== false) {
            w.ldelim()
          }
        }, (reader, length, opts = {}) => {
          const obj: any = {
            file: uint8ArrayAlloc(0),
            wantManifest: false
          }

          const end = length == null ? reader.len : reader.pos + length

          while (reader.pos < end) {
            const tag = reader.uint32()

            switch (tag >>> 3) {
              case 1: {
                obj.file = reader.bytes()
                break
              }
              case 2: {
                obj.wantManifest = reader.bool()
                break
              }
              default: {
                reader.skipType(tag & 7)
                break
              }
            }
          }

          return obj
        }, function * (reader, length, prefix, opts = {}) {
          const end = length == null ? reader.len : reader.pos + length

          while (reader.pos < end) {
            const tag = reader.uint32()

            switch (tag >>> 3) {
              case 1: {
                yield {
                  field: `${prefix}.file`,
                  value: reader.bytes()
                }
                break
              }
              case 2: {
                yield {
                  field: `${prefix}.wantManifest`,
                  value: reader.bool()
                }
                break
              }
              default: {
                reader.skipType(tag & 7)
                break
              }
            }
          }
        })
      }

      return _codec
    }

    export interface HelloFileFieldEvent {
      field: '$.file'
      value: Uint8Array<ArrayBuffer>
    }

    export interface HelloWantManifestFieldEvent {
      field: '$.wantManifest'
      value: boolean
    }

    export function encode (obj: Partial<Hello>): Uint8Array<ArrayBuffer> {
      return encodeMessage(obj, Hello.codec())
    }

    export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Hello>): Hello {
      return decodeMessage(buf, Hello.codec(), opts)
    }

    export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Hello>): Generator<HelloFileFieldEvent | HelloWantManifestFieldEvent> {
      return streamMessage(buf, Hello.codec(), opts)
    }
  }

  export interface ManifestBytes {
    manifest: Uint8Array<ArrayBuffer>
  }

  export namespace ManifestBytes {
    let _codec: Codec<ManifestBytes>

    export const codec = (): Codec<ManifestBytes> => {
      if (_codec == null) {
        _codec = message<ManifestBytes>((obj, w, opts = {}) => {
          if (opts.lengthDelimited !== false) {
            w.fork()
          }

          if ((obj.manifest != null && obj.manifest.byteLength > 0)) {
            w.uint32(10)
            w.bytes(obj.manifest)
          }

          if (opts.lengthDelimited !== false) {
            w.ldelim()
          }
        }, (reader, length, opts = {}) => {
          const obj: any = {
            manifest: uint8ArrayAlloc(0)
          }

          const end = length == null ? reader.len : reader.pos + length

          while (reader.pos < end) {
            const tag = reader.uint32()

            switch (tag >>> 3) {
              case 1: {
                obj.manifest = reader.bytes()
                break
              }
              default: {
                reader.skipType(tag & 7)
                break
              }
            }
          }

          return obj
        }, function * (reader, length, prefix, opts = {}) {
          const end = length == null ? reader.len : reader.pos + length

          while (reader.pos < end) {
            const tag = reader.uint32()

            switch (tag >>> 3) {
              case 1: {
                yield {
                  field: `${prefix}.manifest`,
                  value: reader.bytes()
                }
                break
              }
              default: {
                reader.skipType(tag & 7)
                break
              }
            }
          }
        })
      }

      return _codec
    }

    export interface ManifestBytesManifestFieldEvent {
      field: '$.manifest'
      value: Uint8Array<ArrayBuffer>
    }

    export function encode (obj: Partial<ManifestBytes>): Uint8Array<ArrayBuffer> {
      return encodeMessage(obj, ManifestBytes.codec())
    }

    export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ManifestBytes>): ManifestBytes {
      return decodeMessage(buf, ManifestBytes.codec(), opts)
    }

    export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ManifestBytes>): Generator<ManifestBytesManifestFieldEvent> {
      return streamMessage(buf, ManifestBytes.codec(), opts)
    }
  }

  export interface Bitfield {
    bits: Uint8Array<ArrayBuffer>
  }

  export namespace Bitfield {
    let _codec: Codec<Bitfield>

    export const codec = (): Codec<Bitfield> => {
      if (_codec == null) {
        _codec = message<Bitfield>((obj, w, opts = {}) => {
          if (opts.lengthDelimited !== false) {
            w.fork()
          }

          if ((obj.bits != null && obj.bits.byteLength > 0)) {
            w.uint32(10)
            w.bytes(obj.bits)
          }

          if (opts.lengthDelimited !== false) {
            w.ldelim()
          }
        }, (reader, length, opts = {}) => {
          const obj: any = {
            bits: uint8ArrayAlloc(0)
          }

          const end = length == null ? reader.len : reader.pos + length

          while (reader.pos < end) {
            const tag = reader.uint32()

            switch (tag >>> 3) {
              case 1: {
                obj.bits = reader.bytes()
                break
              }
              default: {
                reader.skipType(tag & 7)
                break
              }
            }
          }

          return obj
        }, function * (reader, length, prefix, opts = {}) {
          const end = length == null ? reader.len : reader.pos + length

          while (reader.pos < end) {
            const tag = reader.uint32()

            switch (tag >>> 3) {
              case 1: {
                yield {
                  field: `${prefix}.bits`,
                  value: reader.bytes()
                }
                break
              }
              default: {
                reader.skipType(tag & 7)
                break
              }
            }
          }
        })
      }

      return _codec
    }

    export interface BitfieldBitsFieldEvent {
      field: '$.bits'
      value: Uint8Array<ArrayBuffer>
    }

    export function encode (obj: Partial<Bitfield>): Uint8Array<ArrayBuffer> {
      return encodeMessage(obj, Bitfield.codec())
    }

    export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Bitfield>): Bitfield {
      return decodeMessage(buf, Bitfield.codec(), opts)
    }

    export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Bitfield>): Generator<BitfieldBitsFieldEvent> {
      return streamMessage(buf, Bitfield.codec(), opts)
    }
  }

  export interface Have {
    index: number
  }

  export namespace Have {
    let _codec: Codec<Have>

    export const codec = (): Codec<Have> => {
      if (_codec == null) {
        _codec = message<Have>((obj, w, opts = {}) => {
          if (opts.lengthDelimited !== false) {
            w.fork()
          }

          if ((obj.index != null && obj.index !== 0)) {
            w.uint32(8)
            w.uint32(obj.index)
          }

          if (opts.lengthDelimited !== false) {
            w.ldelim()
          }
        }, (reader, length, opts = {}) => {
          const obj: any = {
            index: 0
          }

          const end = length == null ? reader.len : reader.pos + length

          while (reader.pos < end) {
            const tag = reader.uint32()

            switch (tag >>> 3) {
              case 1: {
                obj.index = reader.uint32()
                break
              }
              default: {
                reader.skipType(tag & 7)
                break
              }
            }
          }

          return obj
        }, function * (reader, length, prefix, opts = {}) {
          const end = length == null ? reader.len : reader.pos + length

          while (reader.pos < end) {
            const tag = reader.uint32()

            switch (tag >>> 3) {
              case 1: {
                yield {
                  field: `${prefix}.index`,
                  value: reader.uint32()
                }
                break
              }
              default: {
                reader.skipType(tag & 7)
                break
              }
            }
          }
        })
      }

      return _codec
    }

    export interface HaveIndexFieldEvent {
      field: '$.index'
      value: number
    }

    export function encode (obj: Partial<Have>): Uint8Array<ArrayBuffer> {
      return encodeMessage(obj, Have.codec())
    }

    export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Have>): Have {
      return decodeMessage(buf, Have.codec(), opts)
    }

    export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Have>): Generator<HaveIndexFieldEvent> {
      return streamMessage(buf, Have.codec(), opts)
    }
  }

  export interface Range {
    index: number
    offset: number
    length: number
  }

  export namespace Range {
    let _codec: Codec<Range>

    export const codec = (): Codec<Range> => {
      if (_codec == null) {
        _codec = message<Range>((obj, w, opts = {}) => {
          if (opts.lengthDelimited !== false) {
            w.fork()
          }

          if ((obj.index != null && obj.index !== 0)) {
            w.uint32(8)
            w.uint32(obj.index)
          }

          if ((obj.offset != null && obj.offset !== 0)) {
            w.uint32(16)
            w.uint32(obj.offset)
          }

          if ((obj.length != null && obj.length !== 0)) {
            w.uint32(24)
            w.uint32(obj.length)
          }

          if (opts.lengthDelimited !== false) {
            w.ldelim()
          }
        }, (reader, length, opts = {}) => {
          const obj: any = {
            index: 0,
            offset: 0,
            length: 0
          }

          const end = length == null ? reader.len : reader.pos + length

          while (reader.pos < end) {
            const tag = reader.uint32()

            switch (tag >>> 3) {
              case 1: {
                obj.index = reader.uint32()
                break
              }
              case 2: {
                obj.offset = reader.uint32()
                break
              }
              case 3: {
                obj.length = reader.uint32()
                break
              }
              default: {
                reader.skipType(tag & 7)
                break
              }
            }
          }

          return obj
        }, function * (reader, length, prefix, opts = {}) {
          const end = length == null ? reader.len : reader.pos + length

          while (reader.pos < end) {
            const tag = reader.uint32()

            switch (tag >>> 3) {
              case 1: {
                yield {
                  field: `${prefix}.index`,
                  value: reader.uint32()
                }
                break
              }
              case 2: {
                yield {
                  field: `${prefix}.offset`,
                  value: reader.uint32()
                }
                break
              }
              case 3: {
                yield {
                  field: `${prefix}.length`,
                  value: reader.uint32()
                }
                break
              }
              default: {
                reader.skipType(tag & 7)
                break
              }
            }
          }
        })
      }

      return _codec
    }

    export interface RangeIndexFieldEvent {
      field: '$.index'
      value: number
    }

    export interface RangeOffsetFieldEvent {
      field: '$.offset'
      value: number
    }

    export interface RangeLengthFieldEvent {
      field: '$.length'
      value: number
    }

    export function encode (obj: Partial<Range>): Uint8Array<ArrayBuffer> {
      return encodeMessage(obj, Range.codec())
    }

    export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Range>): Range {
      return decodeMessage(buf, Range.codec(), opts)
    }

    export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Range>): Generator<RangeIndexFieldEvent | RangeOffsetFieldEvent | RangeLengthFieldEvent> {
      return streamMessage(buf, Range.codec(), opts)
    }
  }

  export interface Piece {
    index: number
    offset: number
    data: Uint8Array<ArrayBuffer>
  }

  export namespace Piece {
    let _codec: Codec<Piece>

    export const codec = (): Codec<Piece> => {
      if (_codec == null) {
        _codec = message<Piece>((obj, w, opts = {}) => {
          if (opts.lengthDelimited !== false) {
            w.fork()
          }

          if ((obj.index != null && obj.index !== 0)) {
            w.uint32(8)
            w.uint32(obj.index)
          }

          if ((obj.offset != null && obj.offset !== 0)) {
            w.uint32(16)
            w.uint32(obj.offset)
          }

          if ((obj.data != null && obj.data.byteLength > 0)) {
            w.uint32(26)
            w.bytes(obj.data)
          }

          if (opts.lengthDelimited !== false) {
            w.ldelim()
          }
        }, (reader, length, opts = {}) => {
          const obj: any = {
            index: 0,
            offset: 0,
            data: uint8ArrayAlloc(0)
          }

          const end = length == null ? reader.len : reader.pos + length

          while (reader.pos < end) {
            const tag = reader.uint32()

            switch (tag >>> 3) {
              case 1: {
                obj.index = reader.uint32()
                break
              }
              case 2: {
                obj.offset = reader.uint32()
                break
              }
              case 3: {
                obj.data = reader.bytes()
                break
              }
              default: {
                reader.skipType(tag & 7)
                break
              }
            }
          }

          return obj
        }, function * (reader, length, prefix, opts = {}) {
          const end = length == null ? reader.len : reader.pos + length

          while (reader.pos < end) {
            const tag = reader.uint32()

            switch (tag >>> 3) {
              case 1: {
                yield {
                  field: `${prefix}.index`,
                  value: reader.uint32()
                }
                break
              }
              case 2: {
                yield {
                  field: `${prefix}.offset`,
                  value: reader.uint32()
                }
                break
              }
              case 3: {
                yield {
                  field: `${prefix}.data`,
                  value: reader.bytes()
                }
                break
              }
              default: {
                reader.skipType(tag & 7)
                break
              }
            }
          }
        })
      }

      return _codec
    }

    export interface PieceIndexFieldEvent {
      field: '$.index'
      value: number
    }

    export interface PieceOffsetFieldEvent {
      field: '$.offset'
      value: number
    }

    export interface PieceDataFieldEvent {
      field: '$.data'
      value: Uint8Array<ArrayBuffer>
    }

    export function encode (obj: Partial<Piece>): Uint8Array<ArrayBuffer> {
      return encodeMessage(obj, Piece.codec())
    }

    export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Piece>): Piece {
      return decodeMessage(buf, Piece.codec(), opts)
    }

    export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Piece>): Generator<PieceIndexFieldEvent | PieceOffsetFieldEvent | PieceDataFieldEvent> {
      return streamMessage(buf, Piece.codec(), opts)
    }
  }

  export interface Reject {
    reason: PieceFrame.Reason
    range?: PieceFrame.Range
    retryAfterMs?: number
  }

  export namespace Reject {
    let _codec: Codec<Reject>

    export const codec = (): Codec<Reject> => {
      if (_codec == null) {
        _codec = message<Reject>((obj, w, opts = {}) => {
          if (opts.lengthDelimited !== false) {
            w.fork()
          }

          if (obj.reason != null && __ReasonValues[obj.reason] !== 0) {
            w.uint32(8)
            PieceFrame.Reason.codec().encode(obj.reason, w)
          }

          if (obj.range != null) {
            w.uint32(18)
            PieceFrame.Range.codec().encode(obj.range, w)
          }

          if (obj.retryAfterMs != null) {
            w.uint32(24)
            w.uint32(obj.retryAfterMs)
          }

          if (opts.lengthDelimited !== false) {
            w.ldelim()
          }
        }, (reader, length, opts = {}) => {
          const obj: any = {
            reason: Reason.NOT_FOUND
          }

          const end = length == null ? reader.len : reader.pos + length

          while (reader.pos < end) {
            const tag = reader.uint32()

            switch (tag >>> 3) {
              case 1: {
                obj.reason = PieceFrame.Reason.codec().decode(reader)
                break
              }
              case 2: {
                obj.range = PieceFrame.Range.codec().decode(reader, reader.uint32(), {
                  limits: opts.limits?.range
                })
                break
              }
              case 3: {
                obj.retryAfterMs = reader.uint32()
                break
              }
              default: {
                reader.skipType(tag & 7)
                break
              }
            }
          }

          return obj
        }, function * (reader, length, prefix, opts = {}) {
          const end = length == null ? reader.len : reader.pos + length

          while (reader.pos < end) {
            const tag = reader.uint32()

            switch (tag >>> 3) {
              case 1: {
                yield {
                  field: `${prefix}.reason`,
                  value: PieceFrame.Reason.codec().decode(reader)
                }
                break
              }
              case 2: {
                yield * PieceFrame.Range.codec().stream(reader, reader.uint32(), `${prefix}.range`, {
                  limits: opts.limits?.range
                })

                break
              }
              case 3: {
                yield {
                  field: `${prefix}.retryAfterMs`,
                  value: reader.uint32()
                }
                break
              }
              default: {
                reader.skipType(tag & 7)
                break
              }
            }
          }
        })
      }

      return _codec
    }

    export interface RejectReasonFieldEvent {
      field: '$.reason'
      value: PieceFrame.Reason
    }

    export interface RejectRangeIndexFieldEvent {
      field: '$.range.index'
      value: number
    }

    export interface RejectRangeOffsetFieldEvent {
      field: '$.range.offset'
      value: number
    }

    export interface RejectRangeLengthFieldEvent {
      field: '$.range.length'
      value: number
    }

    export interface RejectRetryAfterMsFieldEvent {
      field: '$.retryAfterMs'
      value: number
    }

    export function encode (obj: Partial<Reject>): Uint8Array<ArrayBuffer> {
      return encodeMessage(obj, Reject.codec())
    }

    export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Reject>): Reject {
      return decodeMessage(buf, Reject.codec(), opts)
    }

    export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Reject>): Generator<RejectReasonFieldEvent | RejectRangeIndexFieldEvent | RejectRangeOffsetFieldEvent | RejectRangeLengthFieldEvent | RejectRetryAfterMsFieldEvent> {
      return streamMessage(buf, Reject.codec(), opts)
    }
  }

  let _codec: Codec<PieceFrame>

  export const codec = (): Codec<PieceFrame> => {
    if (_codec == null) {
      _codec = message<PieceFrame>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.hello != null) {
          w.uint32(10)
          PieceFrame.Hello.codec().encode(obj.hello, w)
        }

        if (obj.manifest != null) {
          w.uint32(18)
          PieceFrame.ManifestBytes.codec().encode(obj.manifest, w)
        }

        if (obj.bitfield != null) {
          w.uint32(26)
          PieceFrame.Bitfield.codec().encode(obj.bitfield, w)
        }

        if (obj.have != null) {
          w.uint32(34)
          PieceFrame.Have.codec().encode(obj.have, w)
        }

        if (obj.request != null) {
          w.uint32(42)
          PieceFrame.Range.codec().encode(obj.request, w)
        }

        if (obj.cancel != null) {
          w.uint32(50)
          PieceFrame.Range.codec().encode(obj.cancel, w)
        }

        if (obj.piece != null) {
          w.uint32(58)
          PieceFrame.Piece.codec().encode(obj.piece, w)
        }

        if (obj.reject != null) {
          w.uint32(66)
          PieceFrame.Reject.codec().encode(obj.reject, w)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {}

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.hello = PieceFrame.Hello.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.hello
              })
              break
            }
            case 2: {
              obj.manifest = PieceFrame.ManifestBytes.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.manifest
              })
              break
            }
            case 3: {
              obj.bitfield = PieceFrame.Bitfield.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.bitfield
              })
              break
            }
            case 4: {
              obj.have = PieceFrame.Have.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.have
              })
              break
            }
            case 5: {
              obj.request = PieceFrame.Range.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.request
              })
              break
            }
            case 6: {
              obj.cancel = PieceFrame.Range.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.cancel
              })
              break
            }
            case 7: {
              obj.piece = PieceFrame.Piece.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.piece
              })
              break
            }
            case 8: {
              obj.reject = PieceFrame.Reject.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.reject
              })
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield * PieceFrame.Hello.codec().stream(reader, reader.uint32(), `${prefix}.hello`, {
                limits: opts.limits?.hello
              })

              break
            }
            case 2: {
              yield * PieceFrame.ManifestBytes.codec().stream(reader, reader.uint32(), `${prefix}.manifest`, {
                limits: opts.limits?.manifest
              })

              break
            }
            case 3: {
              yield * PieceFrame.Bitfield.codec().stream(reader, reader.uint32(), `${prefix}.bitfield`, {
                limits: opts.limits?.bitfield
              })

              break
            }
            case 4: {
              yield * PieceFrame.Have.codec().stream(reader, reader.uint32(), `${prefix}.have`, {
                limits: opts.limits?.have
              })

              break
            }
            case 5: {
              yield * PieceFrame.Range.codec().stream(reader, reader.uint32(), `${prefix}.request`, {
                limits: opts.limits?.request
              })

              break
            }
            case 6: {
              yield * PieceFrame.Range.codec().stream(reader, reader.uint32(), `${prefix}.cancel`, {
                limits: opts.limits?.cancel
              })

              break
            }
            case 7: {
              yield * PieceFrame.Piece.codec().stream(reader, reader.uint32(), `${prefix}.piece`, {
                limits: opts.limits?.piece
              })

              break
            }
            case 8: {
              yield * PieceFrame.Reject.codec().stream(reader, reader.uint32(), `${prefix}.reject`, {
                limits: opts.limits?.reject
              })

              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface PieceFrameHelloFileFieldEvent {
    field: '$.hello.file'
    value: Uint8Array<ArrayBuffer>
  }

  export interface PieceFrameHelloWantManifestFieldEvent {
    field: '$.hello.wantManifest'
    value: boolean
  }

  export interface PieceFrameManifestManifestFieldEvent {
    field: '$.manifest.manifest'
    value: Uint8Array<ArrayBuffer>
  }

  export interface PieceFrameBitfieldBitsFieldEvent {
    field: '$.bitfield.bits'
    value: Uint8Array<ArrayBuffer>
  }

  export interface PieceFrameHaveIndexFieldEvent {
    field: '$.have.index'
    value: number
  }

  export interface PieceFrameRequestIndexFieldEvent {
    field: '$.request.index'
    value: number
  }

  export interface PieceFrameRequestOffsetFieldEvent {
    field: '$.request.offset'
    value: number
  }

  export interface PieceFrameRequestLengthFieldEvent {
    field: '$.request.length'
    value: number
  }

  export interface PieceFrameCancelIndexFieldEvent {
    field: '$.cancel.index'
    value: number
  }

  export interface PieceFrameCancelOffsetFieldEvent {
    field: '$.cancel.offset'
    value: number
  }

  export interface PieceFrameCancelLengthFieldEvent {
    field: '$.cancel.length'
    value: number
  }

  export interface PieceFramePieceIndexFieldEvent {
    field: '$.piece.index'
    value: number
  }

  export interface PieceFramePieceOffsetFieldEvent {
    field: '$.piece.offset'
    value: number
  }

  export interface PieceFramePieceDataFieldEvent {
    field: '$.piece.data'
    value: Uint8Array<ArrayBuffer>
  }

  export interface PieceFrameRejectReasonFieldEvent {
    field: '$.reject.reason'
    value: PieceFrame.Reason
  }

  export interface PieceFrameRejectRangeIndexFieldEvent {
    field: '$.reject.range.index'
    value: number
  }

  export interface PieceFrameRejectRangeOffsetFieldEvent {
    field: '$.reject.range.offset'
    value: number
  }

  export interface PieceFrameRejectRangeLengthFieldEvent {
    field: '$.reject.range.length'
    value: number
  }

  export interface PieceFrameRejectRetryAfterMsFieldEvent {
    field: '$.reject.retryAfterMs'
    value: number
  }

  export function encode (obj: Partial<PieceFrame>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, PieceFrame.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<PieceFrame>): PieceFrame {
    return decodeMessage(buf, PieceFrame.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<PieceFrame>): Generator<PieceFrameHelloFileFieldEvent | PieceFrameHelloWantManifestFieldEvent | PieceFrameManifestManifestFieldEvent | PieceFrameBitfieldBitsFieldEvent | PieceFrameHaveIndexFieldEvent | PieceFrameRequestIndexFieldEvent | PieceFrameRequestOffsetFieldEvent | PieceFrameRequestLengthFieldEvent | PieceFrameCancelIndexFieldEvent | PieceFrameCancelOffsetFieldEvent | PieceFrameCancelLengthFieldEvent | PieceFramePieceIndexFieldEvent | PieceFramePieceOffsetFieldEvent | PieceFramePieceDataFieldEvent | PieceFrameRejectReasonFieldEvent | PieceFrameRejectRangeIndexFieldEvent | PieceFrameRejectRangeOffsetFieldEvent | PieceFrameRejectRangeLengthFieldEvent | PieceFrameRejectRetryAfterMsFieldEvent> {
    return streamMessage(buf, PieceFrame.codec(), opts)
  }
}
