import type { InfractionName } from './infraction.ts'
import type { PeerKey } from './peer.ts'
import type { Clock, Rng } from './time.ts'

/**
 * What a sans-IO core asks its environment to do. A core is a plain state machine: the
 * environment feeds it events (a peer came or went, a frame arrived, a timer fired, the app
 * published) and it answers only through these calls. The libp2p adapter turns them into
 * stream writes and real timers; the simulator into virtual-time events; unit tests record them.
 *
 * @typeParam Frame - the protocol's decoded wire frame
 * @typeParam Message - what the core hands to the application
 * @typeParam Timer - the core's own name for a timer, handed back when it fires
 */
export interface Effects<Frame, Message = never, Timer = string> {
  /** Send `frame` to `peer`. Fire and forget: a failed send looks like a lost frame. */
  send(peer: PeerKey, frame: Frame): void
  /** Call the core's `timer(timer)` after `delayMs` milliseconds of the core's clock. */
  schedule(delayMs: number, timer: Timer): void
  /** Hand a message up to the application. */
  deliver(message: Message): void
  /** Report misbehaviour by `peer` (see {@link PeerReporter}). */
  report(peer: PeerKey, infraction: InfractionName, detail?: string): void
}

/** The environment a core is built with. */
export interface CoreContext<Frame, Message = never, Timer = string> {
  clock: Clock
  rng: Rng
  effects: Effects<Frame, Message, Timer>
}
