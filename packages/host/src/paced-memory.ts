import { beforeUpgrade } from './before-upgrade.ts'

/** The parts of a multiaddr connection (`AbstractMultiaddrConnection`) its transport feeds. */
interface Fed {
  onData?: (data: unknown) => void
  onTransportClosed?: (err?: Error) => void
  abort?: (err: Error) => void
}

/**
 * The in-memory transport, with data arriving the way a socket's does: in a task of the event
 * loop, not in a microtask.
 *
 * `@libp2p/memory` hands each chunk to the other end through an async iterator, so a reply, and
 * the reply to that, all run as microtasks. While many hosts keep each other busy the microtask
 * queue never drains and no timer fires: 1000 default hosts connecting ran 27–38 s without one, so
 * dial and upgrade timeouts, discovery's rounds and the inbound grace all ran half a minute late,
 * and every peer-store lock (freed on a 1 ms timer) piled up: 2.6 GiB RSS after settling. Here
 * what a connection receives is delivered in `setImmediate` tasks, in order and followed by the
 * end of the stream, a bounded number per task, as a socket's reads are; the timers of a busy
 * testnet then run between them, as on a machine with real sockets. A connection already closed
 * for reading ignores what is still queued (`AbstractMessageStream.onData`).
 *
 * @typeParam Factory - the transport factory's type, kept as it is
 * @param factory - an in-memory transport factory, `memory()` of `@libp2p/memory`
 * @returns the same factory, whose connections receive in tasks of the event loop
 */
export function pacedMemory<Factory extends (components: any) => any> (factory: Factory): Factory {
  return beforeUpgrade(factory, receiveInTasks)
}

/**
 * Most deliveries one task of the event loop runs. Node runs every immediate queued before its
 * check phase in one go, so with one immediate per connection 1000 busy hosts still ran 4–5 s of
 * deliveries between two turns of their timers (a CPU profile of the stall: one
 * `processImmediate`); a socket's reads come at most 1024 per turn (libuv's epoll batch).
 */
export const DELIVERIES_PER_TASK = 256

/** Deliveries of every paced connection in this process, in the order they arrived. */
const pending: Array<(() => void) | undefined> = []
let next = 0
let scheduled = false

function deliverSome (): void {
  // what arrives while this runs waits for a later task
  const end = Math.min(pending.length, next + DELIVERIES_PER_TASK)
  while (next < end) {
    const step = pending[next] as () => void
    pending[next++] = undefined
    step()
  }
  if (next < pending.length) {
    // a queue never empty while its hosts stay busy would otherwise only grow: drop the delivered
    // head once it is most of the array (each element is moved at most once per halving)
    if (next * 2 > pending.length) {
      pending.splice(0, next)
      next = 0
    }
    setImmediate(deliverSome)
  } else {
    pending.length = 0
    next = 0
    scheduled = false
  }
}

function later (step: () => void): void {
  pending.push(step)
  if (!scheduled) {
    scheduled = true
    setImmediate(deliverSome)
  }
}

/**
 * Make a connection's transport deliver what it receives (data, then its end) in tasks of the
 * event loop, in order, at most {@link DELIVERIES_PER_TASK} deliveries of all connections per
 * task. A delivery that throws aborts its connection, as `@libp2p/memory`'s own read loop does.
 * Returns false for an object that is not fed through `onData` and `onTransportClosed`, left as
 * it is.
 */
export function receiveInTasks (maConn: Fed): boolean {
  const onData = maConn.onData
  const onClosed = maConn.onTransportClosed
  if (typeof onData !== 'function' || typeof onClosed !== 'function') return false
  const guarded = (step: () => void): () => void => () => {
    try {
      step()
    } catch (err: any) {
      maConn.abort?.(err)
    }
  }
  maConn.onData = function (this: unknown, data) { later(guarded(() => { onData.call(this, data) })) }
  maConn.onTransportClosed = function (this: unknown, err) { later(guarded(() => { onClosed.call(this, err) })) }
  return true
}
