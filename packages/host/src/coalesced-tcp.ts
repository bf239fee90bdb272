import { Socket } from 'node:net'
import { beforeUpgrade } from './before-upgrade.ts'

type SendData = (data: Iterable<Uint8Array>) => { sentBytes: number, canSendMore: boolean }

/**
 * A TCP transport whose connections hand the kernel one write per event-loop tick.
 *
 * `@libp2p/tcp` calls `socket.write` once per buffer it is given, and every Noise message reaches
 * it as several (a length prefix, the ciphertext, the tag) behind a Yamux header: four or five
 * system calls per 64 KiB of a bulk stream, and as many for each small frame. Corking the socket
 * when the tick's first buffer arrives and uncorking it on `process.nextTick` makes Node flush
 * them with one `writev`. Nothing waits longer than the current tick, and backpressure is
 * unchanged (`write` still reports a full buffer). Measured over loopback (`bench/lib/files-cpu.ts`,
 * 15 rounds each way on a busy 2-core machine): CPU per MB of both ends, medians, 8.91 → 8.40 ms
 * for a verified download and 6.72 → 6.20 ms for a plain libp2p stream.
 *
 * Only this host's TCP connections are touched (each connection's own `sendData`, set when the
 * upgrader receives it), never `net.Socket` itself.
 *
 * @typeParam Factory - the transport factory's type, kept as it is
 * @param factory - a TCP transport factory, e.g. `tcp()` of `@libp2p/tcp`
 * @returns the same factory, whose transports' connections coalesce their writes
 */
export function coalescedTcp<Factory extends (components: any) => any> (factory: Factory): Factory {
  return beforeUpgrade(factory, coalesceWrites)
}

/**
 * Make a TCP multiaddr connection's writes of one tick go out together. A connection without a
 * `net.Socket` (another transport's, or a future `@libp2p/tcp` that names it differently) is left
 * as it is.
 */
export function coalesceWrites (maConn: { socket?: unknown, sendData?: SendData }): boolean {
  const socket = maConn.socket
  const send = maConn.sendData
  if (!(socket instanceof Socket) || typeof send !== 'function') return false
  let corked = false
  const uncork = (): void => {
    corked = false
    socket.uncork()
  }
  maConn.sendData = function (this: unknown, data) {
    if (!corked && !socket.destroyed) {
      corked = true
      socket.cork()
      process.nextTick(uncork)
    }
    return send.call(this, data)
  }
  return true
}
