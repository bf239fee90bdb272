/**
 * One eclipse run in a process of its own (so that its peak RSS is its own): options as JSON in
 * argv[2], the result as JSON on stdout. Started by `eclipse.ts`.
 */
import '../../examples/shared/src/stop-with-launcher.ts'
import { simulateEclipse, type EclipseOptions } from '@hearsay/sim'

const options = JSON.parse(process.argv[2] ?? '{}') as EclipseOptions
// progress on stderr, one line an hour of virtual time
const onSample = (s: { hour: number, outboundShare: number }): void => { process.stderr.write(`hour ${s.hour}: attacker share ${s.outboundShare}\n`) }
process.stdout.write(JSON.stringify(simulateEclipse({ ...options, onSample })))
