/**
 * `@hearsay/sim`: a discrete-event simulator that runs hearsay's gossip strategy cores —
 * the production `TopicRouter` and strategies of `@hearsay/gossip/strategies`, unchanged — on
 * up to 100,000 simulated nodes in virtual time.
 *
 * @packageDocumentation
 */
export { simulate, buildNetwork, FRAME_OVERHEAD, ID_BYTES } from './simulation.ts'
export { simulateParallel, defaultWorkers, notParallel } from './parallel.ts'
export type { SimulationOptions, SimulationResult, Perf } from './simulation.ts'
export { EventQueue } from './queue.ts'
export { parseLatency, formatLatency, latencySampler, DEFAULT_LATENCY } from './latency.ts'
export type { LatencySpec } from './latency.ts'
export { randomRegular, regularTree, randomRing, bitcoinLike, parseEdgeList, edgeList, buildGraph, generate, meanDegree } from './topology.ts'
export type { Graph, EdgeList, TopologySpec } from './topology.ts'
export { shortestTimes, attribution, quantiles } from './metrics.ts'
export { distanceCentre, firstObserved } from './estimators.ts'
export type { Quantiles, Attribution } from './metrics.ts'
export { strategyByName, STRATEGY_NAMES } from './strategies.ts'
export type { StrategyName, StrategyOptions } from './strategies.ts'
export { lineChart } from './svg.ts'
export type { ChartSeries, LineChartOptions } from './svg.ts'
export { resultsTable, coverageChart, latencyChart } from './report.ts'
export { simulateEclipse } from './eclipse.ts'
export type { EclipseOptions, EclipseResult, EclipseSample, RestartFigures, TableSizes } from './eclipse.ts'
