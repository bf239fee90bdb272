/**
 * The hosts `memoryByService` (./memory-by-service.ts) measures: `createHost()` defaults, then
 * the same with one more service left out at each step, down to bare libp2p. Each step's cost is
 * the difference from the step before, so the steps add up to a default host's whole cost
 * (what two services cost only together is counted in the one left out first).
 *
 * @module
 */
import type { HostOptions } from '@hearsay/host'

/** One kind of host: its name and the options of every host of it. */
export interface MemoryStep {
  /** What this step leaves out, compared with the one before (`defaults` for the first). */
  name: string
  host: Omit<HostOptions, 'listen'>
}

/** What one child measured for one step: growth from before the first host to after settling. */
export interface MemorySample {
  nodes: number
  step: string
  /** RSS growth, MiB */
  rssMiB: number
  /** V8 heap in use, growth, MiB */
  heapMiB: number
  /** memory outside the V8 heap held by JS objects (Buffers, ArrayBuffers), growth, MiB */
  externalMiB: number
  /** connections open after settling, each counted once */
  connections: number
}

/**
 * The steps, from defaults down to bare libp2p: the file index first (it needs the DHT), the
 * DHT after the services that do not need it, and last identify and ping (the DHT needs them).
 */
export const MEMORY_STEPS: readonly MemoryStep[] = [
  { name: 'defaults', host: {} },
  { name: 'files', host: { files: false } },
  { name: 'discovery', host: { files: false, discovery: false } },
  { name: 'gossip', host: { files: false, discovery: false, gossip: false } },
  { name: 'scoring', host: { files: false, discovery: false, gossip: false, scoring: false } },
  { name: 'dht', host: { files: false, discovery: false, gossip: false, scoring: false, dht: false } },
  // bare as the scale bench runs it: no services at all
  { name: 'identify, ping', host: { libp2p: { services: {}, connectionMonitor: { enabled: false } } } }
]
