/**
 * Runtime helpers for sans-IO cores: the clocks, timers and randomness that adapters,
 * the simulator and unit tests hand to the same core code, and a bounded length-prefix reader
 * every adapter's `lpStream` uses.
 *
 * @packageDocumentation
 */
export { systemClock, ManualClock } from './clock.ts'
export type { CancelTimer, Timers, TimedClock } from './clock.ts'
export { seededRng, cryptoRng } from './rng.ts'
export { pick, shuffle, sample, exponential } from './random.ts'
export { boundedLength, LengthPrefixError } from './length-prefix.ts'
export type { PrefixBytes } from './length-prefix.ts'
export { scoringOf } from './components.ts'
