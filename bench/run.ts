/**
 * `pnpm bench [scenario...] [--json] [--quick] [--out <dir>]`: run benchmark scenarios on loopback
 * and report every figure beside a baseline measured in the same run. Benchmarks report; they
 * never fail on a number. Each result goes to `<dir>/results/<scenario>.json` (default dir:
 * `bench/`), then `<dir>/RESULTS.md` and `<dir>/charts/*.svg` are regenerated from all of them. A
 * scenario this machine cannot run (the lab without root or nft) says why and writes nothing.
 */
// a bench whose launcher (npx, pnpm) died stops, and its child peers with it
import '../examples/shared/src/stop-with-launcher.ts'
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { machine, type Scenario, type ScenarioResult } from './lib/report.ts'
import { writeResultsMarkdown } from './lib/results-md.ts'
import { gossipScenario } from './scenarios/gossip.ts'
import { filesScenario } from './scenarios/files.ts'
import { simScenario } from './scenarios/sim.ts'
import { relayScenario } from './scenarios/relay.ts'
import { hostileScenario } from './scenarios/hostile.ts'
import { transportScenario } from './scenarios/transport.ts'
import { scaleScenario } from './scenarios/scale.ts'
import { labScenario } from './scenarios/lab.ts'
import { papersScenario } from './scenarios/papers.ts'

const scenarios: Scenario[] = [gossipScenario, simScenario, filesScenario, relayScenario, transportScenario, scaleScenario, hostileScenario, labScenario, papersScenario]

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    json: { type: 'boolean', default: false },
    quick: { type: 'boolean', default: false },
    // where results/, RESULTS.md and charts/ go: a scratch directory keeps a trial run from
    // overwriting the committed results
    out: { type: 'string', default: dirname(fileURLToPath(import.meta.url)) },
    help: { type: 'boolean', default: false }
  }
})

if (values.help) {
  console.log('usage: pnpm bench [scenario...] [--json] [--quick] [--out <dir>]\n\nscenarios:')
  for (const s of scenarios) console.log(`  ${s.name.padEnd(12)} ${s.description}`)
  process.exit(0)
}

const unknown = positionals.filter(name => !scenarios.some(s => s.name === name))
if (unknown.length > 0) {
  console.error(`unknown scenario: ${unknown.join(', ')} (known: ${scenarios.map(s => s.name).join(', ')})`)
  process.exit(2)
}
const selected = positionals.length === 0 ? scenarios : scenarios.filter(s => positionals.includes(s.name))
const resultsDir = join(values.out, 'results')
await mkdir(resultsDir, { recursive: true })
// progress goes to stderr so that stdout is the table, or the JSON document
const log = (line: string): void => { process.stderr.write(`${line}\n`) }

const results: ScenarioResult[] = []
for (const scenario of selected) {
  log(`# ${scenario.name}${values.quick ? ' (quick)' : ''}`)
  const started = Date.now()
  const result = await scenario.run({ quick: values.quick, log })
  results.push(result)
  // a scenario this machine cannot run (the lab without nft, say) leaves the last real result be
  if (result.notRun != null) {
    log(`${scenario.name} not run: ${result.notRun}; ${join(resultsDir, `${scenario.name}.json`)} keeps its last result`)
    continue
  }
  const document = { ...result, quick: values.quick, durationMs: Date.now() - started, machine: machine(), at: new Date().toISOString() }
  await writeFile(join(resultsDir, `${scenario.name}.json`), JSON.stringify(document, null, 2) + '\n')
  if (!values.json) {
    console.log(`## ${scenario.name}\n\n${result.table}\n`)
    for (const goal of result.goals) console.log(`- ${goal.met ? 'met' : 'MISSED'}: ${goal.goal} — ${goal.detail}`)
    console.log('')
  }
}
if (values.json) console.log(JSON.stringify({ machine: machine(), quick: values.quick, results }, null, 2))
log(`wrote ${await writeResultsMarkdown(values.out)}`)
