/**
 * One step of `memoryByService` (./memory-by-service.ts) in a process of its own, so that its
 * RSS is its own: `node --expose-gc bench/lib/memory-child.ts <nodes> <step> <degree> <settleMs>`,
 * where `<step>` is an index into {@link MEMORY_STEPS}. Prints one JSON line
 * ({@link MemorySample}) on stdout.
 *
 * @module
 */
// stops when the bench that started it is gone
import '../../examples/shared/src/stop-with-launcher.ts'
import { seededRng } from '@hearsay/sansio'
import { createTestnet, topologyEdges } from '@hearsay/host/testnet'
import { MEMORY_STEPS, type MemorySample } from './memory-steps.ts'

const [nodesArg, stepArg, degreeArg, settleArg] = process.argv.slice(2)
const nodes = Number(nodesArg)
const step = MEMORY_STEPS[Number(stepArg)]
if (step == null) throw new RangeError(`no step ${stepArg}`)
const degree = Number(degreeArg)
const settleMs = Number(settleArg)
const gc = (): void => { (globalThis as { gc?: () => void }).gc?.() }
const mib = (bytes: number): number => bytes / 2 ** 20

gc()
const before = process.memoryUsage()
const net = await createTestnet({ nodes, seed: 1, host: step.host })
const edges = topologyEdges({ random: degree }, nodes, seededRng(1))
await net.wire(edges)
await new Promise(resolve => setTimeout(resolve, settleMs))
// twice: a first full GC may leave what finalizers free for a second
gc()
gc()
const after = process.memoryUsage()
const connections = net.nodes.reduce((sum, node) => sum + node.getConnections().length, 0) / 2
const sample: MemorySample = {
  nodes,
  step: step.name,
  rssMiB: mib(after.rss - before.rss),
  heapMiB: mib(after.heapUsed - before.heapUsed),
  externalMiB: mib(after.external - before.external),
  connections
}
process.stdout.write(JSON.stringify(sample) + '\n')
// stopping a thousand hosts takes long and measures nothing here
process.exit(0)
