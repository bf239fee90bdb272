import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { toString as uint8ArrayToString } from 'uint8arrays/to-string'
import { PexMessage, type PexPeer } from './pb/pex.ts'
import type { Decoded, PeerKey, ProtocolId, WireLimits } from '@hearsay/interface'
import type { Uint8ArrayList } from 'uint8arraylist'

/** The peer exchange protocol id. */
export const PEX_PROTOCOL: ProtocolId = '/hearsay/pex/1.0.0'

/** The limits of the peer exchange protocol, enforced on both sides. */
export interface PexLimits extends WireLimits {
  /** Most peers one answer may carry, whatever was asked. */
  maxPeers: number
  /** Most addresses per peer in an answer. */
  maxAddrsPerPeer: number
  /** Longest binary multiaddr accepted. */
  maxAddrBytes: number
  /** Longest binary peer id accepted. */
  maxIdBytes: number
}

/**
 * The wire limits: answers of at most 1000 peers with at most 8 addresses of at most 256 bytes
 * each, frames of at most 512 KiB, and at most 2 inbound streams per peer at once.
 */
export const PEX_LIMITS: Readonly<PexLimits> = Object.freeze({
  maxPeers: 1000,
  maxAddrsPerPeer: 8,
  maxAddrBytes: 256,
  maxIdBytes: 128,
  maxFrameBytes: 512 * 1024,
  maxInboundStreamsPerPeer: 2
})

/** One peer in an answer, decoded and checked. */
export interface PexRecord {
  /** The peer's id string. */
  peer: PeerKey
  /** Its multiaddrs as strings, without `/p2p`. */
  addrs: string[]
  /** How long ago the answering peer heard of it, in ms. */
  ageMs: number
}

/** A checked answer: the usable records, and how many entries had to be dropped. */
export interface PexAnswer {
  records: PexRecord[]
  /** Entries with an unreadable id or no readable address. */
  invalid: number
}

/** The bounded length-prefix reader every pex stream uses (see `@hearsay/sansio`). */
export { boundedLength } from '@hearsay/sansio'

/** Decode one frame; bad bytes become an infraction, never an exception. */
export function decodePexFrame (bytes: Uint8Array | Uint8ArrayList, limits: PexLimits = PEX_LIMITS): Decoded<PexMessage> {
  if (bytes.byteLength > limits.maxFrameBytes) {
    return { ok: false, infraction: 'oversized-frame', detail: `frame of ${bytes.byteLength} bytes > ${limits.maxFrameBytes}` }
  }
  let frame: PexMessage
  try {
    frame = PexMessage.decode(bytes, {
      limits: { response: { peers: limits.maxPeers, peers$: { addrs: limits.maxAddrsPerPeer } } }
    })
  } catch (err: any) {
    if (err?.name === 'MaxLengthError') return { ok: false, infraction: 'oversized-frame', detail: String(err.message) }
    return { ok: false, infraction: 'malformed-frame', detail: String(err?.message ?? err) }
  }
  if ((frame.request == null) === (frame.response == null)) {
    return { ok: false, infraction: 'unexpected-frame', detail: 'a frame must carry exactly one of request and response' }
  }
  return { ok: true, frame }
}

/** A request for at most `max` peers. */
export function encodePexRequest (max: number): Uint8Array {
  return PexMessage.encode({ request: { max: Math.max(0, Math.floor(max)) } })
}

/** An answer; peers or addresses that do not encode are left out. */
export function encodePexResponse (records: readonly PexRecord[], limits: PexLimits = PEX_LIMITS): Uint8Array {
  const peers: PexPeer[] = []
  for (const record of records.slice(0, limits.maxPeers)) {
    try {
      const id = peerIdFromString(record.peer).toMultihash().bytes
      const addrs: Array<Uint8Array<ArrayBuffer>> = []
      for (const addr of record.addrs) {
        if (addrs.length >= limits.maxAddrsPerPeer) break
        try {
          const bytes = multiaddr(addr).bytes
          if (bytes.byteLength <= limits.maxAddrBytes) addrs.push(bytes)
        } catch {
          // an address that does not encode is left out
        }
      }
      if (addrs.length === 0) continue
      const age = Math.min(0xffffffff, Math.max(0, Math.floor(record.ageMs / 1000)))
      peers.push({ id, addrs, age })
    } catch {
      // a peer whose id does not parse is left out
    }
  }
  return PexMessage.encode({ response: { peers } })
}

/**
 * The usable records of an answer: ids that parse as peer ids, addresses that parse as
 * multiaddrs (a `/p2p` suffix is removed, and must name the same peer), never `self`.
 */
export function readPexPeers (peers: readonly PexPeer[], self: PeerKey | undefined, limits: PexLimits = PEX_LIMITS): PexAnswer {
  const records: PexRecord[] = []
  const seen = new Set<string>()
  let invalid = 0
  for (const entry of peers) {
    let peer: string
    try {
      if (entry.id.byteLength === 0 || entry.id.byteLength > limits.maxIdBytes) throw new Error('bad id length')
      peer = peerIdFromString(uint8ArrayToString(entry.id, 'base58btc')).toString()
    } catch {
      invalid++
      continue
    }
    if (peer === self || seen.has(peer)) continue
    const addrs: string[] = []
    for (const bytes of entry.addrs) {
      if (bytes.byteLength > limits.maxAddrBytes) continue
      try {
        const ma = multiaddr(bytes)
        const p2p = ma.getComponents().filter(c => c.name === 'p2p')
        if (p2p.some(c => c.value !== peer)) continue
        const text = (p2p.length > 0 ? ma.decapsulateCode(421) : ma).toString()
        if (text !== '' && text !== '/' && !addrs.includes(text)) addrs.push(text)
      } catch {
        // an unreadable address is dropped
      }
    }
    if (addrs.length === 0) {
      invalid++
      continue
    }
    seen.add(peer)
    records.push({ peer, addrs, ageMs: entry.age * 1000 })
  }
  return { records, invalid }
}
