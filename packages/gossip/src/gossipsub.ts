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
  log: (format: string, ...args: unknown[]) => void
  /** The hearsay gossip protocol: peers running it may start gossipsub after they connected. */
  peerProtocol: string
}

type Counters = Omit<TopicStats, 'strategy' | 'peers'>
interface TopicState { validate?: Validator, counters: Counters }

const hash = (data: Uint8Array): Uint8Array => createHash('sha256').update(data).digest()
const hex = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex')

/**
 * The embedded gossipsub router and the hearsay topics it carries. Messages are unsigned with
 * SHA-256 ids (what every hearsay strategy uses), so ids match across strategies. Frames sent
 * are not counted (gossipsub does not expose them); `received` counts every copy that arrives.
 *
 * The router starts with the first `gossipsub()` topic, not with the host: a started gossipsub
 * opens a stream each way on every connection to a gossipsub peer, topics or not. Until then its
 * protocols are not handled, so identify tells peers this host does not speak gossipsub yet. Once
 * started, it opens its streams to the peers already connected that run hearsay gossip (they may
 * start gossipsub later: then they open theirs to us) or gossipsub, and they answer with theirs.
 */
export class GossipsubTopics {
  readonly #components: GossipComponents
  readonly #init: Init
  readonly #topics = new Map<string, TopicState>()
  /** made with the first topic: an unused router still costs memory */
  #router: GossipSub | undefined
  #running = false
  /** the router's start, begun by the first topic */
  #starting: Promise<void> | undefined
  /** the router has started and carries every topic of {@link GossipsubTopics.#topics} */
  #ready = false
  /** the topology that tells the router of peers gone that libp2p would not tell it of */
  #topologyId: string | undefined

  constructor (components: GossipComponents, init: Init) {
    this.#components = components
    this.#init = init
  }

  #createRouter (): GossipSub {
    const init = this.#init
    const router = createGossipsub({
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
    })(this.#components)
    router.addEventListener('gossipsub:message', event => {
      const { propagationSource, msgId, msg } = event.detail
      const topic = this.#topics.get(msg.topic)
      if (topic == null) return
      topic.counters.delivered++
      init.reporter.credit(propagationSource, 'gossip-delivery')
      init.deliver({ id: msgId, topic: msg.topic, data: msg.data, from: propagationSource, strategy: 'gossipsub' })
    })
    for (const [topic, state] of this.#topics) this.#installValidator(router, topic, state)
    return router
  }

  /** Nothing until the first topic: see {@link GossipsubTopics}. */
  start (): void {
    this.#running = true
  }

  async stop (): Promise<void> {
    this.#running = false
    await this.#starting?.catch(() => {})
    if (this.#topologyId != null) this.#components.registrar.unregister(this.#topologyId)
    this.#topologyId = undefined
    if (this.#router != null) await (this.#router as unknown as { stop(): Promise<void> }).stop()
    this.#starting = undefined
    this.#ready = false
  }

  /** Start the router (once), tell it of the peers already connected, and subscribe its topics. */
  async #start (): Promise<void> {
    const registrar = this.#components.registrar
    const router = this.#router ??= this.#createRouter()
    const protocols = router.protocols
    const before = new Set(protocols.flatMap(protocol => registrar.getTopologies(protocol)))
    await (router as unknown as { start(): Promise<void> }).start()
    if (!this.#running) return
    // the router's own topology (the one its start registered): libp2p tells it only of peers
    // identified after it registered, and only of those that spoke gossipsub then
    const topologies = [...new Set(protocols.flatMap(protocol => registrar.getTopologies(protocol)))].filter(t => !before.has(t))
    // a hearsay peer identified before it started gossipsub is not known to speak it: libp2p
    // would not tell the router when it goes, so this does
    this.#topologyId = await registrar.register(this.#init.peerProtocol, {
      onDisconnect: peerId => {
        for (const topology of topologies) void Promise.resolve(topology.onDisconnect?.(peerId)).catch(() => {})
      }
    })
    const told = new Set<string>()
    for (const connection of this.#components.connectionManager.getConnections()) {
      const key = connection.remotePeer.toString()
      if (connection.status !== 'open' || told.has(key)) continue
      const peer = await this.#components.peerStore.get(connection.remotePeer).catch(() => undefined)
      if (peer == null || !peer.protocols.some(protocol => protocol === this.#init.peerProtocol || protocols.includes(protocol))) continue
      told.add(key)
      for (const topology of topologies) {
        if (connection.limits != null && topology.notifyOnLimitedConnection !== true) continue
        // a peer that has not started gossipsub refuses the stream; it opens one when it starts
        void Promise.resolve(topology.onConnect?.(connection.remotePeer, connection)).catch(() => {})
      }
    }
    if (!this.#running) return
    for (const topic of this.#topics.keys()) router.subscribe(topic)
    this.#ready = true
  }

  /** The router, started; starts it on first use. */
  async #started (): Promise<void> {
    if (!this.#running) throw new GossipError('gossip is not running')
    this.#starting ??= this.#start()
    await this.#starting
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
    const state: TopicState = { validate: options.validate, counters }
    this.#topics.set(topic, state)
    if (this.#router != null) this.#installValidator(this.#router, topic, state)
    if (this.#ready) {
      this.#router?.subscribe(topic)
      return
    }
    // the router subscribes every topic of this.#topics once started
    this.#started().catch((err: any) => { this.#init.log('could not start gossipsub: %s', err?.message ?? err) })
  }

  #installValidator (router: GossipSub, topic: string, { validate, counters }: TopicState): void {
    if (validate == null) return
    router.topicValidators.set(topic, async (peer, message) => {
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

  unsubscribe (topic: string): void {
    this.#topics.delete(topic)
    this.#router?.topicValidators.delete(topic)
    if (this.#ready) this.#router?.unsubscribe(topic)
  }

  async publish (topic: string, data: Uint8Array, options: { signal?: AbortSignal }): Promise<MessageId> {
    const counters = this.#topics.get(topic)?.counters
    if (counters == null) throw new GossipError(`not subscribed to "${topic}"`)
    options.signal?.throwIfAborted()
    await this.#started()
    const router = this.#router
    if (router == null) throw new GossipError('gossipsub did not start')
    const id = hex(data)
    try {
      await router.publish(topic, data)
      counters.published++
    } catch (err: any) {
      // publishing a payload again is a no-op, as with every other strategy
      if (err?.message !== 'PublishError.Duplicate') throw err
    }
    return id
  }

  subscribers (topic: string): PeerId[] {
    return this.#router?.getSubscribers(topic) ?? []
  }

  stats (topic: string): TopicStats | undefined {
    const topicState = this.#topics.get(topic)
    if (topicState == null) return undefined
    const c = topicState.counters
    return {
      strategy: 'gossipsub',
      peers: this.subscribers(topic).length,
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
