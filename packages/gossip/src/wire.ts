import { toString as toHex, fromString as fromHex } from 'uint8arrays'
import * as varint from 'uint8-varint'
import { GossipRpc } from './pb/gossip.ts'
import { undecodable } from '@hearsay/sansio'
import type { Decoded, GossipFrame, MessageId } from '@hearsay/interface'

/** The gossip wire protocol. */
export const GOSSIP_PROTOCOL = '/hearsay/gossip/1.0.0'

/** Bounds on every variable-length part of a frame; nothing larger is buffered or decoded. */
export interface GossipWireLimits {
  /** Largest payload, in bytes. @default 1 MiB */
  maxMessageBytes: number
  /** Most ids in one announce, request, notfound or prune frame. @default 1000 */
  maxIdsPerFrame: number
  /** Longest message id, in bytes. @default 64 */
  maxIdBytes: number
  /** Longest topic, in UTF-8 bytes. @default 256 */
  maxTopicBytes: number
  /** Most subscription changes in one frame. @default 1000 */
  maxSubscriptionsPerFrame: number
}

/** Defaults of {@link GossipWireLimits}. */
export const WIRE_DEFAULTS: Readonly<GossipWireLimits> = Object.freeze({
  maxMessageBytes: 1024 * 1024,
  maxIdsPerFrame: 1000,
  maxIdBytes: 64,
  maxTopicBytes: 256,
  maxSubscriptionsPerFrame: 1000
})

/** Largest encoded frame the limits allow: a full message plus its topic and field overhead. */
export function maxFrameBytes (limits: GossipWireLimits): number {
  return limits.maxMessageBytes + limits.maxTopicBytes + 64
}

/** A decoded frame: subscription changes and at most one topic frame. */
export interface WireFrame {
  subscriptions: Array<{ topic: string, subscribe: boolean }>
  topic?: string
  /** The topic's frame, with the message id still to compute (it depends on the topic). */
  body?:
  | { type: 'message', data: Uint8Array, ttl?: number, hops?: number, stem: boolean }
  | { type: 'announce' | 'request' | 'notfound' | 'prune', ids: MessageId[] }
}

/** The frames that carry message ids, each in a field of `GossipRpc` of its own name. */
const ID_FRAME_TYPES = ['announce', 'request', 'notfound', 'prune'] as const

/** Decode one frame's bytes. Never throws: bad input comes back as the infraction to report. */
export function decodeFrame (bytes: Uint8Array | import('uint8arraylist').Uint8ArrayList, limits: GossipWireLimits): Decoded<WireFrame> {
  let rpc: GossipRpc
  try {
    rpc = GossipRpc.decode(bytes, {
      limits: {
        subscriptions: limits.maxSubscriptionsPerFrame,
        announce: { ids: limits.maxIdsPerFrame },
        request: { ids: limits.maxIdsPerFrame },
        notfound: { ids: limits.maxIdsPerFrame },
        prune: { ids: limits.maxIdsPerFrame }
      }
    })
  } catch (err) {
    return undecodable('gossip frame', err)
  }
  const idTypes = ID_FRAME_TYPES.filter(type => rpc[type] != null)
  const parts = idTypes.length + (rpc.message != null ? 1 : 0)
  if (parts > 1) return { ok: false, infraction: 'malformed-frame', detail: `a frame carries more than one of message, ${ID_FRAME_TYPES.join(', ')}` }
  if (parts === 0 && rpc.subscriptions.length === 0) return { ok: false, infraction: 'malformed-frame', detail: 'empty frame' }
  const topics = [...rpc.subscriptions.map(s => s.topic), rpc.message?.topic, ...idTypes.map(type => rpc[type]?.topic)]
  for (const topic of topics) {
    if (topic == null) continue
    if (topic === '' || new TextEncoder().encode(topic).byteLength > limits.maxTopicBytes) {
      return { ok: false, infraction: 'malformed-frame', detail: 'empty or over-long topic' }
    }
  }
  const frame: WireFrame = { subscriptions: rpc.subscriptions }
  if (rpc.message != null) {
    if (rpc.message.data.byteLength > limits.maxMessageBytes) {
      return { ok: false, infraction: 'oversized-frame', detail: `message of ${rpc.message.data.byteLength} bytes` }
    }
    frame.topic = rpc.message.topic
    frame.body = { type: 'message', data: rpc.message.data, ttl: rpc.message.ttl, hops: rpc.message.hops, stem: rpc.message.stem }
  }
  const [type] = idTypes
  const ids = type != null ? rpc[type] : undefined
  if (type != null && ids != null) {
    if (ids.ids.some(id => id.byteLength === 0 || id.byteLength > limits.maxIdBytes)) {
      return { ok: false, infraction: 'malformed-frame', detail: 'empty or over-long message id' }
    }
    frame.topic = ids.topic
    frame.body = { type, ids: ids.ids.map(id => toHex(id, 'base16')) }
  }
  return { ok: true, frame }
}

/** Encode a topic's frame as length-prefixed bytes, ready for `stream.send()`. */
export function encodeTopicFrame (topic: string, frame: GossipFrame): Uint8Array {
  const rpc: GossipRpc = { subscriptions: [] }
  switch (frame.type) {
    case 'message':
      rpc.message = { topic, data: frame.message.data as Uint8Array<ArrayBuffer>, ttl: frame.ttl, hops: frame.hops, stem: false }
      break
    case 'stem':
      rpc.message = { topic, data: frame.message.data as Uint8Array<ArrayBuffer>, stem: true }
      break
    default:
      rpc[frame.type] = { topic, ids: frame.ids.map(idBytes) }
  }
  return lengthPrefixed(GossipRpc.encode(rpc))
}

/** Encode subscription changes as length-prefixed bytes. */
export function encodeSubscriptions (subscriptions: Array<{ topic: string, subscribe: boolean }>): Uint8Array {
  return lengthPrefixed(GossipRpc.encode({ subscriptions }))
}

function lengthPrefixed (bytes: Uint8Array): Uint8Array {
  const prefix = varint.encode(bytes.byteLength)
  const out = new Uint8Array(prefix.byteLength + bytes.byteLength)
  out.set(prefix)
  out.set(bytes, prefix.byteLength)
  return out
}

/** A hex message id as wire bytes. */
export function idBytes (id: MessageId): Uint8Array<ArrayBuffer> {
  return new Uint8Array(fromHex(id, 'base16'))
}
