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

/**
 * Resolves when `signal` aborts (at once if it has); never rejects. Unlike `aborted` of
 * `node:util`, it keeps a signal of `AbortSignal.any()` alive until it fires: that one is held
 * only weakly and, collected, never resolves.
 */
export async function aborted (signal: AbortSignal): Promise<void> {
  if (signal.aborted) return
  await new Promise<void>(resolve => { signal.addEventListener('abort', () => { resolve() }, { once: true }) })
}
