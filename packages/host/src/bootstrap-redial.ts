import type { AbortOptions, ComponentLogger, Connection, Logger, PeerId, Startable } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import type { Multiaddr } from '@multiformats/multiaddr'
import { p2pComponent } from './options.ts'

/** Components the redialer needs from libp2p. */
export interface BootstrapRedialComponents {
  connectionManager: {
    getConnections(peer?: PeerId): Connection[]
    openConnection(peer: Multiaddr, options?: AbortOptions): Promise<Connection>
  }
  logger: ComponentLogger
}

/** Options of {@link bootstrapRedial}. */
export interface BootstrapRedialInit {
  list: Multiaddr[]
  /** First delay before a retry; doubles per attempt. @default 250 */
  initialDelayMs?: number
  /** Give up after this many rounds. @default 8 (about a minute in all) */
  maxAttempts?: number
}

/**
 * `@libp2p/bootstrap` dials each bootstrap peer once. A refused first dial (the peer was
 * restarting, or its per-IP inbound rate limit was hit because many nodes joined at once)
 * would leave a new node isolated, so this keeps retrying with exponential backoff until at
 * least one bootstrap peer is connected or the node stops.
 */
class BootstrapRedial implements Startable {
  readonly #components: BootstrapRedialComponents
  readonly #peers: Array<{ id: PeerId, addr: Multiaddr }>
  readonly #initialDelayMs: number
  readonly #maxAttempts: number
  readonly #log: Logger
  #abort?: AbortController

  constructor (components: BootstrapRedialComponents, init: BootstrapRedialInit) {
    this.#components = components
    this.#peers = init.list.map(addr => ({ id: peerIdFromString(p2pComponent(addr) ?? ''), addr }))
    this.#initialDelayMs = init.initialDelayMs ?? 250
    this.#maxAttempts = init.maxAttempts ?? 8
    this.#log = components.logger.forComponent('hearsay:host:bootstrap')
  }

  readonly [Symbol.toStringTag] = '@hearsay/host/bootstrap-redial'

  start (): void {
    this.#abort = new AbortController()
  }

  afterStart (): void {
    const signal = this.#abort?.signal
    if (signal != null) void this.#run(signal)
  }

  stop (): void {
    this.#abort?.abort()
  }

  #connected (): boolean {
    return this.#peers.some(p => this.#components.connectionManager.getConnections(p.id).length > 0)
  }

  async #run (signal: AbortSignal): Promise<void> {
    let delay = this.#initialDelayMs
    for (let attempt = 0; attempt < this.#maxAttempts && !signal.aborted; attempt++) {
      await sleep(delay, signal)
      if (signal.aborted || this.#connected()) return
      for (const peer of this.#peers) {
        try {
          await this.#components.connectionManager.openConnection(peer.addr, { signal })
          return
        } catch (err) {
          this.#log('bootstrap dial to %a failed (attempt %d) - %e', peer.addr, attempt + 1, err)
        }
      }
      delay *= 2
    }
  }
}

async function sleep (ms: number, signal: AbortSignal): Promise<void> {
  await new Promise<void>(resolve => {
    const timer = setTimeout(done, ms)
    function done (): void {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    signal.addEventListener('abort', done, { once: true })
  })
}

/** A libp2p service that retries bootstrap dials until one succeeds (see {@link BootstrapRedial}). */
export function bootstrapRedial (init: BootstrapRedialInit): (components: BootstrapRedialComponents) => Startable {
  return (components) => new BootstrapRedial(components, init)
}
