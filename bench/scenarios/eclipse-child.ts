/**
 * One eclipse run in a process of its own (so that its peak RSS is its own): options as JSON in
 * argv[2], the result as JSON on stdout. Started by `eclipse.ts`.
 */
import '../../examples/shared/src/stop-with-launcher.ts'
import { simulateEclipse, type EclipseOptions } from '@hearsay/sim'

const options = JSON.parse(process.argv[2] ?? '{}') as EclipseOptions
process.stdout.write(JSON.stringify(simulateEclipse(options)))
