import { decodeMessage, encodeMessage, MaxLengthError, message, streamMessage } from 'protons-runtime'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export interface PexRequest {
  max: number
}

export namespace PexRequest {
  let _codec: Codec<PexRequest>

  export const codec = (): Codec<PexRequest> => {
    if (_codec == null) {
      _codec = message<PexRequest>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.max != null && obj.max !== 0)) {
          w.uint32(8)
          w.uint32(obj.max)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          max: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.max = reader.uint32()
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
                field: `${prefix}.max`,
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

  export interface PexRequestMaxFieldEvent {
    field: '$.max'
    value: number
  }

  export function encode (obj: Partial<PexRequest>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, PexRequest.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<PexRequest>): PexRequest {
    return decodeMessage(buf, PexRequest.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<PexRequest>): Generator<PexRequestMaxFieldEvent> {
    return streamMessage(buf, PexRequest.codec(), opts)
  }
}

export interface PexPeer {
  id: Uint8Array<ArrayBuffer>
  addrs: Uint8Array<ArrayBuffer>[]
  age: number
}

export namespace PexPeer {
  let _codec: Codec<PexPeer>

  export const codec = (): Codec<PexPeer> => {
    if (_codec == null) {
      _codec = message<PexPeer>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.id != null && obj.id.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.id)
        }

        if (obj.addrs != null && obj.addrs.length > 0) {
          for (const value of obj.addrs) {
            w.uint32(18)
            w.bytes(value)
          }
        }

        if ((obj.age != null && obj.age !== 0)) {
          w.uint32(24)
          w.uint32(obj.age)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          id: uint8ArrayAlloc(0),
          addrs: [],
          age: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.id = reader.bytes()
              break
            }
            case 2: {
              if (opts.limits?.addrs != null && obj.addrs.length === opts.limits.addrs) {
                throw new MaxLengthError('Decode error - repeated field "addrs" had too many elements')
              }

              obj.addrs.push(reader.bytes())
              break
            }
            case 3: {
              obj.age = reader.uint32()
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
          addrs: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.id`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              if (opts.limits?.addrs != null && obj.addrs === opts.limits.addrs) {
                throw new MaxLengthError('Streaming decode error - repeated field "addrs" had too many elements')
              }

              yield {
                field: `${prefix}.addrs[]`,
                index: obj.addrs,
                value: reader.bytes()
              }

              obj.addrs++

              break
            }
            case 3: {
              yield {
                field: `${prefix}.age`,
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

  export interface PexPeerIdFieldEvent {
    field: '$.id'
    value: Uint8Array<ArrayBuffer>
  }

  export interface PexPeerAddrsFieldEvent {
    field: '$.addrs[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface PexPeerAgeFieldEvent {
    field: '$.age'
    value: number
  }

  export function encode (obj: Partial<PexPeer>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, PexPeer.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<PexPeer>): PexPeer {
    return decodeMessage(buf, PexPeer.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<PexPeer>): Generator<PexPeerIdFieldEvent | PexPeerAddrsFieldEvent | PexPeerAgeFieldEvent> {
    return streamMessage(buf, PexPeer.codec(), opts)
  }
}

export interface PexResponse {
  peers: PexPeer[]
}

export namespace PexResponse {
  let _codec: Codec<PexResponse>

  export const codec = (): Codec<PexResponse> => {
    if (_codec == null) {
      _codec = message<PexResponse>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.peers != null && obj.peers.length > 0) {
          for (const value of obj.peers) {
            w.uint32(10)
            PexPeer.codec().encode(value, w)
          }
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          peers: []
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              if (opts.limits?.peers != null && obj.peers.length === opts.limits.peers) {
                throw new MaxLengthError('Decode error - repeated field "peers" had too many elements')
              }

              obj.peers.push(PexPeer.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.peers$
              }))
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
          peers: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              if (opts.limits?.peers != null && obj.peers === opts.limits.peers) {
                throw new MaxLengthError('Streaming decode error - repeated field "peers" had too many elements')
              }

              for (const evt of PexPeer.codec().stream(reader, reader.uint32(), `${prefix}.peers[]`, {
                limits: opts.limits?.peers$
              })) {
                yield {
                  ...evt,
                  index: obj.peers
                }
              }

              obj.peers++

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

  export interface PexResponsePeersIdFieldEvent {
    field: '$.peers[].id'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface PexResponsePeersAddrsFieldEvent {
    field: '$.peers[].addrs[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface PexResponsePeersAgeFieldEvent {
    field: '$.peers[].age'
    value: number
    index: number
  }

  export function encode (obj: Partial<PexResponse>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, PexResponse.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<PexResponse>): PexResponse {
    return decodeMessage(buf, PexResponse.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<PexResponse>): Generator<PexResponsePeersIdFieldEvent | PexResponsePeersAddrsFieldEvent | PexResponsePeersAgeFieldEvent> {
    return streamMessage(buf, PexResponse.codec(), opts)
  }
}

export interface PexMessage {
  request?: PexRequest
  response?: PexResponse
}

export namespace PexMessage {
  let _codec: Codec<PexMessage>

  export const codec = (): Codec<PexMessage> => {
    if (_codec == null) {
      _codec = message<PexMessage>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.request != null) {
          w.uint32(10)
          PexRequest.codec().encode(obj.request, w)
        }

        if (obj.response != null) {
          w.uint32(18)
          PexResponse.codec().encode(obj.response, w)
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
              obj.request = PexRequest.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.request
              })
              break
            }
            case 2: {
              obj.response = PexResponse.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.response
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
              yield * PexRequest.codec().stream(reader, reader.uint32(), `${prefix}.request`, {
                limits: opts.limits?.request
              })

              break
            }
            case 2: {
              yield * PexResponse.codec().stream(reader, reader.uint32(), `${prefix}.response`, {
                limits: opts.limits?.response
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

  export interface PexMessageRequestMaxFieldEvent {
    field: '$.request.max'
    value: number
  }

  export interface PexMessageResponsePeersIdFieldEvent {
    field: '$.response.peers[].id'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface PexMessageResponsePeersAddrsFieldEvent {
    field: '$.response.peers[].addrs[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface PexMessageResponsePeersAgeFieldEvent {
    field: '$.response.peers[].age'
    value: number
    index: number
  }

  export function encode (obj: Partial<PexMessage>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, PexMessage.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<PexMessage>): PexMessage {
    return decodeMessage(buf, PexMessage.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<PexMessage>): Generator<PexMessageRequestMaxFieldEvent | PexMessageResponsePeersIdFieldEvent | PexMessageResponsePeersAddrsFieldEvent | PexMessageResponsePeersAgeFieldEvent> {
    return streamMessage(buf, PexMessage.codec(), opts)
  }
}
