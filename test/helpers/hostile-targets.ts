/**
 * A fuzz target (one host serving every hearsay protocol, with rate limits lifted so that each
 * frame reaches its decoder, and a ban threshold out of reach so that one attacker can send
 * them all) and the profiles of its protocols for {@link caseArb}.
 */
import { createHash } from 'node:crypto'
import { createHost, type Host } from '@hearsay/host'
import { GOSSIP_PROTOCOL, announce, flood } from '@hearsay/gossip'
import { PEX_PROTOCOL, PexMessage } from '@hearsay/discovery'
import { PIECES_PROTOCOL, encodeFrame, parseFileId } from '@hearsay/file-index'
import { QUERY_PROTOCOL, FLOOD_PROTOCOL, INDEX_PROTOCOL, SEARCH_WIRE_LIMITS } from '../../packages/file-index/dist/search/index.js'
import { encodeFloodFrame, encodeIndexRequest, encodeQueryRequest } from '../../packages/file-index/dist/search/wire.js'
import { bfield, concat, vfield } from './protobuf.ts'
import type { ProtocolProfile, Schema } from './fuzz.ts'

/**
 * Topics the target subscribes to, each on its own strategy: a flood, an announce tree
 * (Plumtree: it takes `prune` frames) and an announce without a tree (Bitcoin's inv/getdata: a
 * `prune` there is unexpected).
 */
export const FUZZ_TOPICS = { flood: 'fuzz-flood', announce: 'fuzz-announce', inv: 'fuzz-inv' } as const

/** Name of the file the target serves; its words are what honest searches ask for. */
export const FUZZ_FILE_NAME = 'ubuntu hostile fuzz.iso'

/** A host listening and dialling from `ip` on loopback. */
export function at (ip: string): { listen: string[], dialFrom: string } {
  return { listen: [`/ip4/${ip}/tcp/0`], dialFrom: ip }
}

/** Deterministic bytes: a SHA-256 counter stream seeded by `seed`. */
export function seededBytes (size: number, seed: string): Uint8Array {
  const out = new Uint8Array(size)
  for (let offset = 0, i = 0; offset < size; offset += 32, i++) {
    out.set(createHash('sha256').update(`${seed}:${i}`).digest().subarray(0, Math.min(32, size - offset)), offset)
  }
  return out
}

/** A started fuzz target and what it holds. */
export interface FuzzTarget {
  target: Host
  /** the file it serves */
  fileId: string
  /** the message it published on the announce tree */
  publishedId: string
}

/**
 * The fuzz target on `ip`: every protocol, rate limits off, bans out of reach, a file, the
 * {@link FUZZ_TOPICS} and a message it published on the announce tree (`publishedId`: a `prune`
 * naming it is an honest frame).
 */
export async function startFuzzTarget (ip: string): Promise<FuzzTarget> {
  const unlimited = 1_000_000
  const target = await createHost({
    ...at(ip),
    // scoring still records every report; the threshold is out of reach so one attacker can go on
    scoring: { threshold: 1e12 },
    discovery: { pexPeerIntervalMs: 0 },
    gossip: { maxFramesPerSecond: unlimited },
    files: {
      search: {
        central: { server: true, maxRequestsPerSecond: unlimited },
        dht: { maxQueriesPerSecond: unlimited },
        flood: { maxFramesPerSecond: unlimited }
      }
    }
  })
  target.services.gossip.subscribe(FUZZ_TOPICS.flood, { strategy: flood() })
  target.services.gossip.subscribe(FUZZ_TOPICS.announce, { strategy: announce() })
  target.services.gossip.subscribe(FUZZ_TOPICS.inv, { strategy: announce({ tree: false }) })
  const fileId = await target.services.files.add(seededBytes(300 * 1024, 'fuzz-file'), { name: FUZZ_FILE_NAME, provide: false })
  const publishedId = await target.services.gossip.publish(FUZZ_TOPICS.announce, seededBytes(64, 'fuzz-announce'))
  return { target, fileId, publishedId }
}

const entry: Schema = { fields: [{ n: 1, kind: 'string' }, { n: 2, kind: 'string' }, { n: 3, kind: 'varint' }] }
/** gossip's `Ids`: a topic and message ids (announce, request, notfound, prune) */
const ids: Schema = { fields: [{ n: 1, kind: 'string' }, { n: 2, kind: 'bytes', repeated: true }] }
const range: Schema = { fields: [{ n: 1, kind: 'varint' }, { n: 2, kind: 'varint' }, { n: 3, kind: 'varint' }] }

/** Frame schemas, as the target decodes them (see each package's .proto). */
export const SCHEMAS: Record<string, Schema> = {
  pex: {
    fields: [
      { n: 1, kind: { fields: [{ n: 1, kind: 'varint' }] } },
      { n: 2, kind: { fields: [{ n: 1, repeated: true, kind: { fields: [{ n: 1, kind: 'bytes' }, { n: 2, kind: 'bytes', repeated: true }, { n: 3, kind: 'varint' }] } }] } }
    ]
  },
  gossip: {
    fields: [
      { n: 1, repeated: true, kind: { fields: [{ n: 1, kind: 'string' }, { n: 2, kind: 'varint' }] } },
      { n: 2, kind: { fields: [{ n: 1, kind: 'string' }, { n: 2, kind: 'bytes' }, { n: 3, kind: 'varint' }, { n: 4, kind: 'varint' }, { n: 5, kind: 'varint' }] } },
      { n: 3, kind: ids },
      { n: 4, kind: ids },
      { n: 5, kind: ids },
      { n: 6, kind: ids }
    ]
  },
  pieces: {
    fields: [
      { n: 1, kind: { fields: [{ n: 1, kind: 'bytes' }, { n: 2, kind: 'varint' }] } },
      { n: 2, kind: { fields: [{ n: 1, kind: 'bytes' }] } },
      { n: 3, kind: { fields: [{ n: 1, kind: 'bytes' }] } },
      { n: 4, kind: { fields: [{ n: 1, kind: 'varint' }] } },
      { n: 5, kind: range },
      { n: 6, kind: range },
      { n: 7, kind: { fields: [{ n: 1, kind: 'varint' }, { n: 2, kind: 'varint' }, { n: 3, kind: 'bytes' }] } },
      { n: 8, kind: { fields: [{ n: 1, kind: 'varint' }, { n: 2, kind: range }, { n: 3, kind: 'varint' }] } }
    ]
  },
  search: { fields: [{ n: 1, kind: 'string', repeated: true }, { n: 2, kind: 'varint' }] },
  flood: {
    fields: [
      { n: 1, kind: { fields: [{ n: 1, kind: 'bytes' }, { n: 2, kind: 'string', repeated: true }, { n: 3, kind: 'varint' }, { n: 4, kind: 'varint' }] } },
      { n: 2, kind: { fields: [{ n: 1, kind: 'bytes' }, { n: 2, kind: 'string' }, { n: 3, kind: entry, repeated: true }] } }
    ]
  },
  index: {
    fields: [
      { n: 1, kind: { fields: [{ n: 1, kind: entry, repeated: true }, { n: 2, kind: 'varint' }] } },
      { n: 2, kind: { fields: [{ n: 1, kind: 'string', repeated: true }] } },
      { n: 3, kind: { fields: [{ n: 1, kind: 'string', repeated: true }, { n: 2, kind: 'varint' }] } }
    ]
  }
}

/** Strip the varint length prefix of an encoded frame. */
function payloadOf (frame: Uint8Array): Uint8Array {
  let i = 0
  while ((frame[i] & 0x80) !== 0) i++
  return frame.subarray(i + 1)
}

/** A gossip frame carrying `ids` on `topic` in its `type` field (announce 3, request 4, notfound 5, prune 6). */
export function idsFrame (type: 'announce' | 'request' | 'notfound' | 'prune', topic: string, ids: readonly Uint8Array[]): Uint8Array {
  const field = { announce: 3, request: 4, notfound: 5, prune: 6 }[type]
  return bfield(field, concat([bfield(1, topic), ...ids.map(id => bfield(2, id))]))
}

/** The profiles of the target's protocols: schemas, limits, honest frames and wrong orders. */
export function fuzzProfiles ({ fileId, publishedId }: FuzzTarget, honestPeer: Host): ProtocolProfile[] {
  const file = parseFileId(fileId).bytes
  const peerBytes = honestPeer.peerId.toMultihash().bytes
  const addr = honestPeer.getMultiaddrs()[0].decapsulateCode(421).bytes
  const queryId = new Uint8Array(16).fill(7)
  const pieceFrame = (message: Parameters<typeof encodeFrame>[0]): Uint8Array => {
    const encoded = encodeFrame(message)
    return payloadOf(encoded instanceof Uint8Array ? encoded : encoded.subarray())
  }
  const hello = pieceFrame({ type: 'hello', file, wantManifest: true })
  const request = pieceFrame({ type: 'request', index: 0, offset: 0, length: 16 * 1024 })
  const gossipMessage = bfield(2, concat([bfield(1, FUZZ_TOPICS.flood), bfield(2, 'fuzz payload')]))
  const gossipRequest = idsFrame('request', FUZZ_TOPICS.announce, [new Uint8Array(32).fill(9)])
  const published = new Uint8Array(Buffer.from(publishedId, 'hex'))
  const words = FUZZ_FILE_NAME.split(/\W+/)
  return [
    {
      name: 'pex',
      protocol: PEX_PROTOCOL,
      schema: SCHEMAS.pex,
      maxFrameBytes: 512 * 1024,
      valid: [PexMessage.encode({ request: { max: 10 } })],
      wrongOrder: [{ name: 'an answer nobody asked for', frames: [PexMessage.encode({ response: { peers: [{ id: peerBytes, addrs: [addr], age: 1 }] } })] }],
      pool: { bytes: [peerBytes, addr] }
    },
    {
      name: 'gossip',
      protocol: GOSSIP_PROTOCOL,
      schema: SCHEMAS.gossip,
      maxFrameBytes: 1024 * 1024 + 256 + 64,
      valid: [
        bfield(1, concat([bfield(1, FUZZ_TOPICS.flood), vfield(2, 1)])),
        gossipMessage,
        idsFrame('announce', FUZZ_TOPICS.announce, [new Uint8Array(32).fill(8)]),
        // the target pushed nothing to the attacker, but it had the id: a prune of it is no lie
        idsFrame('prune', FUZZ_TOPICS.announce, [published])
      ],
      wrongOrder: [
        { name: 'a message and a request in one frame', frames: [concat([gossipMessage, gossipRequest])], infraction: 'malformed-frame' },
        { name: 'a prune of an id the target never had', frames: [idsFrame('prune', FUZZ_TOPICS.announce, [new Uint8Array(32).fill(13)])], infraction: 'unexpected-frame' },
        { name: 'a prune on a flood topic', frames: [idsFrame('prune', FUZZ_TOPICS.flood, [published])], infraction: 'unexpected-frame' },
        { name: 'a prune on an announce topic without a tree', frames: [idsFrame('prune', FUZZ_TOPICS.inv, [published])], infraction: 'unexpected-frame' },
        { name: 'a prune and a notfound in one frame', frames: [concat([idsFrame('prune', FUZZ_TOPICS.announce, [published]), idsFrame('notfound', FUZZ_TOPICS.announce, [published])])], infraction: 'malformed-frame' }
      ],
      pool: { bytes: [published], strings: Object.values(FUZZ_TOPICS) }
    },
    {
      name: 'pieces',
      protocol: PIECES_PROTOCOL,
      schema: SCHEMAS.pieces,
      maxFrameBytes: 1024,
      valid: [hello, request],
      wrongOrder: [
        { name: 'a request before hello', frames: [request] },
        { name: 'hello twice', frames: [hello, hello] },
        { name: 'a piece from the downloader', frames: [hello, pieceFrame({ type: 'piece', index: 0, offset: 0, data: new Uint8Array(16) })] },
        { name: 'a bitfield from the downloader', frames: [hello, pieceFrame({ type: 'bitfield', bits: new Uint8Array(1) })] }
      ],
      pool: { bytes: [file] }
    },
    {
      name: 'search',
      protocol: QUERY_PROTOCOL,
      schema: SCHEMAS.search,
      maxFrameBytes: SEARCH_WIRE_LIMITS.maxFrameBytes,
      valid: [encodeQueryRequest(words, 10)],
      wrongOrder: [],
      pool: { strings: words }
    },
    {
      name: 'search-flood',
      protocol: FLOOD_PROTOCOL,
      schema: SCHEMAS.flood,
      maxFrameBytes: SEARCH_WIRE_LIMITS.maxFrameBytes,
      valid: [encodeFloodFrame({ type: 'query', id: queryId, words: ['ubuntu'], ttl: 2, hops: 0 })],
      wrongOrder: [{
        // the target remembers that the attacker asked; an answer from the asker itself is no answer
        name: 'a hit for its own query, from the asker',
        streamPerFrame: true,
        frames: [
          encodeFloodFrame({ type: 'query', id: new Uint8Array(16).fill(3), words: ['ubuntu'], ttl: 2, hops: 0 }),
          encodeFloodFrame({ type: 'hit', id: new Uint8Array(16).fill(3), peer: honestPeer.peerId.toString(), entries: [{ id: fileId, name: FUZZ_FILE_NAME, size: 1 }] })
        ]
      }],
      pool: { bytes: [queryId], strings: [...words, honestPeer.peerId.toString(), fileId] }
    },
    {
      name: 'index',
      protocol: INDEX_PROTOCOL,
      schema: SCHEMAS.index,
      maxFrameBytes: SEARCH_WIRE_LIMITS.maxIndexFrameBytes,
      valid: [
        encodeIndexRequest({ type: 'search', words: ['ubuntu'], limit: 10 }),
        encodeIndexRequest({ type: 'register', entries: [{ id: fileId, name: FUZZ_FILE_NAME, size: 1234 }], replace: false })
      ],
      wrongOrder: [],
      pool: { strings: [...words, fileId] }
    }
  ]
}
