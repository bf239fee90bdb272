import { overriding } from './overriding.ts'

/** The parts of a multiaddr connection (`AbstractMultiaddrConnection`) its transport feeds. */
interface Fed {
  onData?: (data: unknown) => void
  onTransportClosed?: (err?: Error) => void
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
 * every chunk a connection receives in one tick is delivered together in a `setImmediate` task,
 * in order and followed by the end of the stream, as a socket's reads are; the timers of a busy
 * testnet then run between them, as on a machine with real sockets. A connection already closed
 * for reading ignores what is still queued (`AbstractMessageStream.onData`).
 *
 * @typeParam Factory - the transport factory's type, kept as it is
 * @param factory - an in-memory transport factory, `memory()` of `@libp2p/memory`
 * @returns the same factory, whose connections receive in tasks of the event loop
 */
export function pacedMemory<Factory extends (components: any) => any> (factory: Factory): Factory {
  const wrapped = (components: any): any => {
    const transport = factory(components)
    const dial = transport.dial.bind(transport)
    transport.dial = async (ma: unknown, options: any): Promise<unknown> =>
      await dial(ma, { ...options, upgrader: pacingUpgrader(options.upgrader) })
    const createListener = transport.createListener.bind(transport)
    transport.createListener = (options: any): unknown =>
      createListener({ ...options, upgrader: pacingUpgrader(options.upgrader) })
    return transport
  }
  return wrapped as Factory
}

/** An upgrader that paces what every connection it upgrades receives. */
function pacingUpgrader (upgrader: any): unknown {
  return overriding(upgrader, {
    upgradeInbound: async (maConn: Fed, options: unknown) => {
      receiveInTasks(maConn)
      return await upgrader.upgradeInbound(maConn, options)
    },
    upgradeOutbound: async (maConn: Fed, options: unknown) => {
      receiveInTasks(maConn)
      return await upgrader.upgradeOutbound(maConn, options)
    }
  })
}

/**
 * Make a connection's transport deliver what it receives (data, then its end) in a task of the
 * event loop: all that arrived in one tick together, in order. Returns false for an object that
 * is not fed through `onData` and `onTransportClosed`, left as it is.
 */
export function receiveInTasks (maConn: Fed): boolean {
  const onData = maConn.onData
  const onClosed = maConn.onTransportClosed
  if (typeof onData !== 'function' || typeof onClosed !== 'function') return false
  let queued: Array<() => void> = []
  const deliver = (): void => {
    const now = queued
    queued = []
    for (const step of now) step()
  }
  const later = (step: () => void): void => {
    if (queued.push(step) === 1) setImmediate(deliver)
  }
  maConn.onData = function (this: unknown, data) { later(() => { onData.call(this, data) }) }
  maConn.onTransportClosed = function (this: unknown, err) { later(() => { onClosed.call(this, err) }) }
  return true
}
