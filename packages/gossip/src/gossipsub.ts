import { createHash } from 'node:crypto'
import { gossipsub as createGossipsub, StrictNoSign, TopicValidatorResult, type GossipSub, type GossipsubOpts } from '@libp2p/gossipsub'
import { toString as toHex } from 'uint8arrays'
import { GossipError } from './errors.ts'
import type { GossipComponents, GossipsubSpec, ReceivedMessage, SubscribeOptions, TopicStats, Validator } from './types.ts'
import type { MessageId, PeerReporter } from '@hearsay/interface'
import type { PeerId } from '@libp2p/interface'

/**
 * Carry a topic with `@libp2p/gossipsub` behind the same subscribe/publish API, so apps can
 * swap it in and benchmarks can compare it head to head with the hearsay strategies.
 */
export function gossipsub (): GossipsubSpec {
  return { name: 'gossipsub', external: 'gossipsub' }
}

interface Init {
  options: Partial<GossipsubOpts>
  reporter: PeerReporter
  maxMessageBytes: number
  validateTimeoutMs: number
  deliver: (message: ReceivedMessage) => void
}

type Counters = Omit<TopicStats, 'strategy' | 'peers'>

const hash = (data: Uint8Array): Uint8Array => createHash('sha256').update(data).digest()
const hex = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex')

/**
 * The embedded gossipsub router and the hearsay topics it carries. Messages are unsigned with
 * SHA-256 ids (what every hearsay strategy uses), so ids match across strategies. Frames sent
 * are not counted (gossipsub does not expose them); `received` counts every copy that arrives.
 */
export class GossipsubTopics {
  readonly #router: GossipSub
  readonly #init: Init
  readonly #topics = new Map<string, { validate?: Validator, counters: Counters }>()

  constructor (components: GossipComponents, init: Init) {
    this.#init = init
    this.#router = createGossipsub({
      globalSignaturePolicy: StrictNoSign,
      allowPublishToZeroTopicPeers: true,
      emitSelf: false,
      maxInboundDataLength: init.maxMessageBytes + 64 * 1024,
      msgIdFn: message => hash(message.data),
      // hex, as every hearsay message id: the delivered event then carries it, unhashed again
      msgIdToStrFn: id => toHex(id, 'base16'),
      // called once for every copy that arrives, before de-duplication: the hook to count copies
      fastMsgIdFn: rpc => {
        const counters = this.#topics.get(rpc.topic)?.counters
        const data = rpc.data ?? new Uint8Array()
        if (counters != null) {
          counters.received++
          counters.bytesIn += data.byteLength
        }
        return hex(data)
      },
      ...init.options
    })(components)
    this.#router.addEventListener('gossipsub:message', event => {
      const { propagationSource, msgId, msg } = event.detail
      const topic = this.#topics.get(msg.topic)
      if (topic == null) return
      topic.counters.delivered++
      init.reporter.credit(propagationSource, 'gossip-delivery')
      init.deliver({ id: msgId, topic: msg.topic, data: msg.data, from: propagationSource, strategy: 'gossipsub' })
    })
  }

  async start (): Promise<void> {
    await (this.#router as unknown as { start(): Promise<void> }).start()
  }

  async stop (): Promise<void> {
    await (this.#router as unknown as { stop(): Promise<void> }).stop()
  }

  has (topic: string): boolean {
    return this.#topics.has(topic)
  }

  topics (): string[] {
    return [...this.#topics.keys()]
  }

  subscribe (topic: string, options: SubscribeOptions): void {
    if (options.messageId != null) throw new GossipError('gossipsub() topics use SHA-256 message ids; messageId is not supported')
    const counters: Counters = {
      published: 0, received: 0, duplicates: 0, delivered: 0, rejected: 0, ignored: 0, dropped: 0,
      sent: 0, bytesIn: 0, bytesOut: 0, announcedIn: 0, announcedOut: 0, requestedIn: 0, requestedOut: 0, served: 0, embargoes: 0
    }
    this.#topics.set(topic, { validate: options.validate, counters })
    const validate = options.validate
    if (validate != null) {
      this.#router.topicValidators.set(topic, async (peer, message) => {
        const result = await this.#validate(validate, peer, message.topic, message.data)
        if (result === 'reject') {
          counters.rejected++
          this.#init.reporter.report(peer, 'invalid-message', `validator rejected a gossipsub message on "${topic}"`)
          return TopicValidatorResult.Reject
        }
        if (result === 'ignore') {
          counters.ignored++
          return TopicValidatorResult.Ignore
        }
        return TopicValidatorResult.Accept
      })
    }
    this.#router.subscribe(topic)
  }

  unsubscribe (topic: string): void {
    this.#topics.delete(topic)
    this.#router.topicValidators.delete(topic)
    this.#router.unsubscribe(topic)
  }

  async publish (topic: string, data: Uint8Array, options: { signal?: AbortSignal }): Promise<MessageId> {
    const counters = this.#topics.get(topic)?.counters
    if (counters == null) throw new GossipError(`not subscribed to "${topic}"`)
    options.signal?.throwIfAborted()
    const id = hex(data)
    try {
      await this.#router.publish(topic, data)
      counters.published++
    } catch (err: any) {
      // publishing a payload again is a no-op, as with every other strategy
      if (err?.message !== 'PublishError.Duplicate') throw err
    }
    return id
  }

  subscribers (topic: string): PeerId[] {
    return this.#router.getSubscribers(topic)
  }

  stats (topic: string): TopicStats | undefined {
    const topicState = this.#topics.get(topic)
    if (topicState == null) return undefined
    const c = topicState.counters
    return {
      strategy: 'gossipsub',
      peers: this.#router.getSubscribers(topic).length,
      ...c,
      duplicates: Math.max(0, c.received - c.delivered - c.rejected - c.ignored)
    }
  }

  async #validate (validate: Validator, from: PeerId, topic: string, data: Uint8Array): Promise<'accept' | 'ignore' | 'reject'> {
    const controller = new AbortController()
    const timer = setTimeout(() => { controller.abort(new GossipError('validator timed out')) }, this.#init.validateTimeoutMs)
    timer.unref()
    try {
      const result = await Promise.race([
        Promise.resolve(validate({ id: hex(data), topic, data, from, strategy: 'gossipsub', phase: 'fluff' }, { signal: controller.signal })),
        new Promise<'ignore'>(resolve => { controller.signal.addEventListener('abort', () => { resolve('ignore') }) })
      ])
      return result === 'accept' || result === 'reject' ? result : 'ignore'
    } catch {
      return 'ignore'
    } finally {
      clearTimeout(timer)
    }
  }
}
