import { decodeMessage, encodeMessage, MaxLengthError, message, streamMessage } from 'protons-runtime'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export interface GossipRpc {
  subscriptions: GossipRpc.Subscription[]
  message?: GossipRpc.Message
  announce?: GossipRpc.Ids
  request?: GossipRpc.Ids
  notfound?: GossipRpc.Ids
  prune?: GossipRpc.Ids
}

export namespace GossipRpc {
  export interface Subscription {
    topic: string
    subscribe: boolean
  }

  export namespace Subscription {
    let _codec: Codec<Subscription>

    export const codec = (): Codec<Subscription> => {
      if (_codec == null) {
        _codec = message<Subscription>((obj, w, opts = {}) => {
          if (opts.lengthDelimited !== false) {
            w.fork()
          }

          if ((obj.topic != null && obj.topic !== '')) {
            w.uint32(10)
            w.string(obj.topic)
          }

          if ((obj.subscribe != null && obj.subscribe !== false)) {
            w.uint32(16)
            w.bool(obj.subscribe)
          }

          if (opts.lengthDelimited !== false) {
            w.ldelim()
          }
        }, (reader, length, opts = {}) => {
          const obj: any = {
            topic: '',
            subscribe: false
          }

          const end = length == null ? reader.len : reader.pos + length

          while (reader.pos < end) {
            const tag = reader.uint32()

            switch (tag >>> 3) {
              case 1: {
                obj.topic = reader.string()
                break
              }
              case 2: {
                obj.subscribe = reader.bool()
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
                  field: `${prefix}.topic`,
                  value: reader.string()
                }
                break
              }
              case 2: {
                yield {
                  field: `${prefix}.subscribe`,
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

    export interface SubscriptionTopicFieldEvent {
      field: '$.topic'
      value: string
    }

    export interface SubscriptionSubscribeFieldEvent {
      field: '$.subscribe'
      value: boolean
    }

    export function encode (obj: Partial<Subscription>): Uint8Array<ArrayBuffer> {
      return encodeMessage(obj, Subscription.codec())
    }

    export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Subscription>): Subscription {
      return decodeMessage(buf, Subscription.codec(), opts)
    }

    export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Subscription>): Generator<SubscriptionTopicFieldEvent | SubscriptionSubscribeFieldEvent> {
      return streamMessage(buf, Subscription.codec(), opts)
    }
  }

  export interface Message {
    topic: string
    data: Uint8Array<ArrayBuffer>
    ttl?: number
    hops?: number
    stem: boolean
  }

  export namespace Message {
    let _codec: Codec<Message>

    export const codec = (): Codec<Message> => {
      if (_codec == null) {
        _codec = message<Message>((obj, w, opts = {}) => {
          if (opts.lengthDelimited !== false) {
            w.fork()
          }

          if ((obj.topic != null && obj.topic !== '')) {
            w.uint32(10)
            w.string(obj.topic)
          }

          if ((obj.data != null && obj.data.byteLength > 0)) {
            w.uint32(18)
            w.bytes(obj.data)
          }

          if (obj.ttl != null) {
            w.uint32(24)
            w.uint32(obj.ttl)
          }

          if (obj.hops != null) {
            w.uint32(32)
            w.uint32(obj.hops)
          }

          if ((obj.stem != null && obj.stem !== false)) {
            w.uint32(40)
            w.bool(obj.stem)
          }

          if (opts.lengthDelimited !== false) {
            w.ldelim()
          }
        }, (reader, length, opts = {}) => {
          const obj: any = {
            topic: '',
            data: uint8ArrayAlloc(0),
            stem: false
          }

          const end = length == null ? reader.len : reader.pos + length

          while (reader.pos < end) {
            const tag = reader.uint32()

            switch (tag >>> 3) {
              case 1: {
                obj.topic = reader.string()
                break
              }
              case 2: {
                obj.data = reader.bytes()
                break
              }
              case 3: {
                obj.ttl = reader.uint32()
                break
              }
              case 4: {
                obj.hops = reader.uint32()
                break
              }
              case 5: {
                obj.stem = reader.bool()
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
                  field: `${prefix}.topic`,
                  value: reader.string()
                }
                break
              }
              case 2: {
                yield {
                  field: `${prefix}.data`,
                  value: reader.bytes()
                }
                break
              }
              case 3: {
                yield {
                  field: `${prefix}.ttl`,
                  value: reader.uint32()
                }
                break
              }
              case 4: {
                yield {
                  field: `${prefix}.hops`,
                  value: reader.uint32()
                }
                break
              }
              case 5: {
                yield {
                  field: `${prefix}.stem`,
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

    export interface MessageTopicFieldEvent {
      field: '$.topic'
      value: string
    }

    export interface MessageDataFieldEvent {
      field: '$.data'
      value: Uint8Array<ArrayBuffer>
    }

    export interface MessageTtlFieldEvent {
      field: '$.ttl'
      value: number
    }

    export interface MessageHopsFieldEvent {
      field: '$.hops'
      value: number
    }

    export interface MessageStemFieldEvent {
      field: '$.stem'
      value: boolean
    }

    export function encode (obj: Partial<Message>): Uint8Array<ArrayBuffer> {
      return encodeMessage(obj, Message.codec())
    }

    export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Message>): Message {
      return decodeMessage(buf, Message.codec(), opts)
    }

    export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Message>): Generator<MessageTopicFieldEvent | MessageDataFieldEvent | MessageTtlFieldEvent | MessageHopsFieldEvent | MessageStemFieldEvent> {
      return streamMessage(buf, Message.codec(), opts)
    }
  }

  export interface Ids {
    topic: string
    ids: Uint8Array<ArrayBuffer>[]
  }

  export namespace Ids {
    let _codec: Codec<Ids>

    export const codec = (): Codec<Ids> => {
      if (_codec == null) {
        _codec = message<Ids>((obj, w, opts = {}) => {
          if (opts.lengthDelimited !== false) {
            w.fork()
          }

          if ((obj.topic != null && obj.topic !== '')) {
            w.uint32(10)
            w.string(obj.topic)
          }

          if (obj.ids != null && obj.ids.length > 0) {
            for (const value of obj.ids) {
              w.uint32(18)
              w.bytes(value)
            }
          }

          if (opts.lengthDelimited !== false) {
            w.ldelim()
          }
        }, (reader, length, opts = {}) => {
          const obj: any = {
            topic: '',
            ids: []
          }

          const end = length == null ? reader.len : reader.pos + length

          while (reader.pos < end) {
            const tag = reader.uint32()

            switch (tag >>> 3) {
              case 1: {
                obj.topic = reader.string()
                break
              }
              case 2: {
                if (opts.limits?.ids != null && obj.ids.length === opts.limits.ids) {
                  throw new MaxLengthError('Decode error - repeated field "ids" had too many elements')
                }

                obj.ids.push(reader.bytes())
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
            ids: 0
          }

          const end = length == null ? reader.len : reader.pos + length

          while (reader.pos < end) {
            const tag = reader.uint32()

            switch (tag >>> 3) {
              case 1: {
                yield {
                  field: `${prefix}.topic`,
                  value: reader.string()
                }
                break
              }
              case 2: {
                if (opts.limits?.ids != null && obj.ids === opts.limits.ids) {
                  throw new MaxLengthError('Streaming decode error - repeated field "ids" had too many elements')
                }

                yield {
                  field: `${prefix}.ids[]`,
                  index: obj.ids,
                  value: reader.bytes()
                }

                obj.ids++

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

    export interface IdsTopicFieldEvent {
      field: '$.topic'
      value: string
    }

    export interface IdsIdsFieldEvent {
      field: '$.ids[]'
      index: number
      value: Uint8Array<ArrayBuffer>
    }

    export function encode (obj: Partial<Ids>): Uint8Array<ArrayBuffer> {
      return encodeMessage(obj, Ids.codec())
    }

    export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Ids>): Ids {
      return decodeMessage(buf, Ids.codec(), opts)
    }

    export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Ids>): Generator<IdsTopicFieldEvent | IdsIdsFieldEvent> {
      return streamMessage(buf, Ids.codec(), opts)
    }
  }

  let _codec: Codec<GossipRpc>

  export const codec = (): Codec<GossipRpc> => {
    if (_codec == null) {
      _codec = message<GossipRpc>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.subscriptions != null && obj.subscriptions.length > 0) {
          for (const value of obj.subscriptions) {
            w.uint32(10)
            GossipRpc.Subscription.codec().encode(value, w)
          }
        }

        if (obj.message != null) {
          w.uint32(18)
          GossipRpc.Message.codec().encode(obj.message, w)
        }

        if (obj.announce != null) {
          w.uint32(26)
          GossipRpc.Ids.codec().encode(obj.announce, w)
        }

        if (obj.request != null) {
          w.uint32(34)
          GossipRpc.Ids.codec().encode(obj.request, w)
        }

        if (obj.notfound != null) {
          w.uint32(42)
          GossipRpc.Ids.codec().encode(obj.notfound, w)
        }

        if (obj.prune != null) {
          w.uint32(50)
          GossipRpc.Ids.codec().encode(obj.prune, w)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          subscriptions: []
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              if (opts.limits?.subscriptions != null && obj.subscriptions.length === opts.limits.subscriptions) {
                throw new MaxLengthError('Decode error - repeated field "subscriptions" had too many elements')
              }

              obj.subscriptions.push(GossipRpc.Subscription.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.subscriptions$
              }))
              break
            }
            case 2: {
              obj.message = GossipRpc.Message.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.message
              })
              break
            }
            case 3: {
              obj.announce = GossipRpc.Ids.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.announce
              })
              break
            }
            case 4: {
              obj.request = GossipRpc.Ids.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.request
              })
              break
            }
            case 5: {
              obj.notfound = GossipRpc.Ids.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.notfound
              })
              break
            }
            case 6: {
              obj.prune = GossipRpc.Ids.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.prune
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
        const obj = {
          subscriptions: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              if (opts.limits?.subscriptions != null && obj.subscriptions === opts.limits.subscriptions) {
                throw new MaxLengthError('Streaming decode error - repeated field "subscriptions" had too many elements')
              }

              for (const evt of GossipRpc.Subscription.codec().stream(reader, reader.uint32(), `${prefix}.subscriptions[]`, {
                limits: opts.limits?.subscriptions$
              })) {
                yield {
                  ...evt,
                  index: obj.subscriptions
                }
              }

              obj.subscriptions++

              break
            }
            case 2: {
              yield * GossipRpc.Message.codec().stream(reader, reader.uint32(), `${prefix}.message`, {
                limits: opts.limits?.message
              })

              break
            }
            case 3: {
              yield * GossipRpc.Ids.codec().stream(reader, reader.uint32(), `${prefix}.announce`, {
                limits: opts.limits?.announce
              })

              break
            }
            case 4: {
              yield * GossipRpc.Ids.codec().stream(reader, reader.uint32(), `${prefix}.request`, {
                limits: opts.limits?.request
              })

              break
            }
            case 5: {
              yield * GossipRpc.Ids.codec().stream(reader, reader.uint32(), `${prefix}.notfound`, {
                limits: opts.limits?.notfound
              })

              break
            }
            case 6: {
              yield * GossipRpc.Ids.codec().stream(reader, reader.uint32(), `${prefix}.prune`, {
                limits: opts.limits?.prune
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

  export interface GossipRpcSubscriptionsTopicFieldEvent {
    field: '$.subscriptions[].topic'
    value: string
    index: number
  }

  export interface GossipRpcSubscriptionsSubscribeFieldEvent {
    field: '$.subscriptions[].subscribe'
    value: boolean
    index: number
  }

  export interface GossipRpcMessageTopicFieldEvent {
    field: '$.message.topic'
    value: string
  }

  export interface GossipRpcMessageDataFieldEvent {
    field: '$.message.data'
    value: Uint8Array<ArrayBuffer>
  }

  export interface GossipRpcMessageTtlFieldEvent {
    field: '$.message.ttl'
    value: number
  }

  export interface GossipRpcMessageHopsFieldEvent {
    field: '$.message.hops'
    value: number
  }

  export interface GossipRpcMessageStemFieldEvent {
    field: '$.message.stem'
    value: boolean
  }

  export interface GossipRpcAnnounceTopicFieldEvent {
    field: '$.announce.topic'
    value: string
  }

  export interface GossipRpcAnnounceIdsFieldEvent {
    field: '$.announce.ids[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface GossipRpcRequestTopicFieldEvent {
    field: '$.request.topic'
    value: string
  }

  export interface GossipRpcRequestIdsFieldEvent {
    field: '$.request.ids[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface GossipRpcNotfoundTopicFieldEvent {
    field: '$.notfound.topic'
    value: string
  }

  export interface GossipRpcNotfoundIdsFieldEvent {
    field: '$.notfound.ids[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface GossipRpcPruneTopicFieldEvent {
    field: '$.prune.topic'
    value: string
  }

  export interface GossipRpcPruneIdsFieldEvent {
    field: '$.prune.ids[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<GossipRpc>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, GossipRpc.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<GossipRpc>): GossipRpc {
    return decodeMessage(buf, GossipRpc.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<GossipRpc>): Generator<GossipRpcSubscriptionsTopicFieldEvent | GossipRpcSubscriptionsSubscribeFieldEvent | GossipRpcMessageTopicFieldEvent | GossipRpcMessageDataFieldEvent | GossipRpcMessageTtlFieldEvent | GossipRpcMessageHopsFieldEvent | GossipRpcMessageStemFieldEvent | GossipRpcAnnounceTopicFieldEvent | GossipRpcAnnounceIdsFieldEvent | GossipRpcRequestTopicFieldEvent | GossipRpcRequestIdsFieldEvent | GossipRpcNotfoundTopicFieldEvent | GossipRpcNotfoundIdsFieldEvent | GossipRpcPruneTopicFieldEvent | GossipRpcPruneIdsFieldEvent> {
    return streamMessage(buf, GossipRpc.codec(), opts)
  }
}
