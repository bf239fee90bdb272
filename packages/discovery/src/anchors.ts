import type { PeerKey } from '@hearsay/interface'

/** A peer to reconnect to first after a restart: one of the last outbound peers. */
export interface Anchor {
  peer: PeerKey
  addrs: string[]
}

/** Most anchors read back, and most addresses per anchor, whatever the stored record says. */
export const MAX_ANCHORS = 16
const MAX_ANCHOR_ADDRS = 8
const MAX_TEXT = 512

/** Anchors as stored bytes (JSON). */
export function encodeAnchors (anchors: readonly Anchor[]): Uint8Array {
  const list = anchors.slice(0, MAX_ANCHORS).map(a => ({ peer: a.peer, addrs: a.addrs.slice(0, MAX_ANCHOR_ADDRS) }))
  return new TextEncoder().encode(JSON.stringify({ version: 1, anchors: list }))
}

/**
 * Anchors from stored bytes. Anything unreadable is skipped rather than thrown: a damaged
 * record must not stop a node from starting.
 */
export function decodeAnchors (bytes: Uint8Array): Anchor[] {
  let parsed: any
  try {
    parsed = JSON.parse(new TextDecoder().decode(bytes))
  } catch {
    return []
  }
  if (parsed == null || typeof parsed !== 'object' || !Array.isArray(parsed.anchors)) return []
  const out: Anchor[] = []
  for (const item of parsed.anchors.slice(0, MAX_ANCHORS)) {
    if (item == null || typeof item.peer !== 'string' || item.peer === '' || item.peer.length > MAX_TEXT || !Array.isArray(item.addrs)) continue
    const addrs = item.addrs
      .filter((a: unknown): a is string => typeof a === 'string' && a.startsWith('/') && a.length <= MAX_TEXT)
      .slice(0, MAX_ANCHOR_ADDRS)
    if (addrs.length > 0 && !out.some(a => a.peer === item.peer)) out.push({ peer: item.peer, addrs })
  }
  return out
}
