import { Simulation, recordOf } from './engine.ts'
import { prepare } from './options.ts'
import { summarize } from './summary.ts'
import type { SimulationOptions, SimulationResult } from './types.ts'

// the parts of a run, each in its own module: options and setup (options.ts), the network model
// and event loop (engine.ts), the result (summary.ts), the types (types.ts)
export type { SimulationOptions, SimulationResult, Perf, Partition, CrossDelivery, RunRecord } from './types.ts'
export { FRAME_OVERHEAD, ID_BYTES, Simulation, recordOf } from './engine.ts'
export { buildNetwork, prepare, rolesOf, HONEST, SPY, DROPPER, DELAYER } from './options.ts'
export { summarize } from './summary.ts'

/**
 * Run one strategy on a simulated network: every node a real `TopicRouter` with the strategy's
 * production core, every send, timer and delivery an event on one virtual-time queue.
 * {@link simulateParallel} gives the same result using several threads.
 */
export function simulate (options: SimulationOptions): SimulationResult {
  const t0 = performance.now()
  const { options: resolved, spec, rngs, graph, limits } = prepare(options)
  const sim = new Simulation(graph, spec, resolved, rngs, limits)
  const t1 = performance.now()
  sim.start()
  sim.runUntil(Infinity)
  const t2 = performance.now()
  return summarize(recordOf(sim), graph, spec, options, sim.role, [t0, t1, t2])
}
