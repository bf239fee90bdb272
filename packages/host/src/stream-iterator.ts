import type { Stream, StreamCloseEvent, StreamMessageEvent } from '@libp2p/interface'

type Chunk = StreamMessageEvent['data']

/** Stream prototypes whose async iterator is already {@link readToEnd}. */
const replaced = new WeakSet<object>()

/**
 * Make `for await (const chunk of stream)` end on streams of `stream`'s class when the remote
 * closed its writable end before the loop began.
 *
 * `@libp2p/utils` 7.4.1's `AbstractMessageStream` iterator ends only on a `remoteCloseWrite` or
 * `close` event it saw itself. libp2p hands an inbound stream to its handler after an awaited
 * `peerStore.merge`; on a real datastore (LevelDB) that takes an I/O round, so a short request
 * (a ping: 32 bytes, then close) has arrived whole, closed included, before the handler
 * iterates. The loop then waits forever, the handler never closes its end, and the stream stays
 * half open on both sides until the protocol's own timeout: four pings in a row used up
 * `@libp2p/ping`'s inbound limit on every persistent node (docs/upstream/libp2p-utils-stream-iterator.md).
 *
 * The replacement reads the stream's documented state — `readableEnded` and the `end` event,
 * which fire once the remote closed and the read buffer is empty — so it ends whether the close
 * came before or after the loop started, after delivering every buffered byte. It patches the
 * class in the stream's prototype chain that defines the iterator (`AbstractMessageStream`), so
 * it holds whichever copy of `@libp2p/utils` a muxer was built with — and, from then on, for
 * every stream class of the process that inherits from that one.
 */
export function fixStreamIterator (stream: object): void {
  let proto: object | null = Object.getPrototypeOf(stream)
  while (proto != null && !Object.prototype.hasOwnProperty.call(proto, Symbol.asyncIterator)) {
    proto = Object.getPrototypeOf(proto)
  }
  if (proto == null || replaced.has(proto)) return
  Object.defineProperty(proto, Symbol.asyncIterator, { value: readToEnd, writable: true, configurable: true })
  replaced.add(proto)
}

/** Every message of the stream until the remote's end is read, or the stream closes (throwing its error). */
async function * readToEnd (this: Stream): AsyncGenerator<Chunk, void, undefined> {
  if (this.readStatus === 'closed' || this.readStatus === 'closing') return
  const queue: Chunk[] = []
  let closed = false
  let error: Error | undefined
  let wake: (() => void) | undefined
  const onMessage = (evt: StreamMessageEvent): void => { queue.push(evt.data); wake?.() }
  const onEnd = (): void => { wake?.() }
  const onClose = (evt: StreamCloseEvent): void => { closed = true; error = evt.error; wake?.() }
  this.addEventListener('message', onMessage)
  this.addEventListener('end', onEnd)
  this.addEventListener('close', onClose)
  try {
    while (true) {
      const next = queue.shift()
      if (next != null) {
        yield next
        continue
      }
      if (error != null) throw error
      // data buffered before the loop began is dispatched on a microtask after the listener is added
      if (closed || (this.readableEnded && this.readBufferLength === 0)) return
      await new Promise<void>(resolve => { wake = resolve })
      wake = undefined
    }
  } finally {
    this.removeEventListener('message', onMessage)
    this.removeEventListener('end', onEnd)
    this.removeEventListener('close', onClose)
  }
}
