/**
 * Runtime helpers for sans-IO cores: the clocks, timers and randomness that adapters,
 * the simulator and unit tests hand to the same core code, a bounded length-prefix reader,
 * a bounded map, a per-peer rate limiter on the injected clock and the one option error.
 * The adapter kit (streams) is the `@hearsay/sansio/adapter` entry point.
 *
 * @packageDocumentation
 */
export { systemClock, ManualClock } from './clock.ts'
export type { CancelTimer, Timers, TimedClock } from './clock.ts'
export { seededRng, cryptoRng } from './rng.ts'
export { pick, shuffle, sample, exponential } from './random.ts'
export { boundedLength, FrameDecoder, LengthPrefixError } from './length-prefix.ts'
export type { PrefixBytes } from './length-prefix.ts'
export { scoringOf } from './components.ts'
export { BoundedMap } from './bounded-map.ts'
export { PeerRateLimiter } from './rate-limit.ts'
export { OptionError, numberOptions } from './option-error.ts'
export { undecodable } from './decode.ts'
