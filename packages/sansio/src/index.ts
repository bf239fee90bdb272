/**
 * Runtime helpers for sans-IO cores: the clocks, timers and randomness that adapters,
 * the simulator and unit tests hand to the same core code.
 *
 * @packageDocumentation
 */
export { systemClock, ManualClock } from './clock.ts'
export type { CancelTimer, Timers, TimedClock } from './clock.ts'
export { seededRng, cryptoRng } from './rng.ts'
export { pick, shuffle, sample, exponential } from './random.ts'
