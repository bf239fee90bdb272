import { peerIdFromString } from '@libp2p/peer-id'

/** Whether `key` is the string form of a valid peer id (keys from the wire or from disk are checked before use). */
export function isPeerId (key: string): boolean {
  try {
    peerIdFromString(key)
    return true
  } catch {
    return false
  }
}
