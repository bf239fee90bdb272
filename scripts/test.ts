/**
 * The whole test suite, as CI runs it: build + typecheck, lint, the API reference (typedoc,
 * warnings are errors, so an undocumented export fails here and not only in `pnpm run docs`),
 * unit tests, then the multi-node integration tests. Stops at the first failing stage and
 * exits non-zero.
 */
import { spawnSync } from 'node:child_process'

const stages: Array<[string, string[]]> = [
  ['typecheck and build', ['tsc', '-b']],
  ['lint', ['eslint', '.']],
  ['API docs', ['typedoc']],
  ['unit tests', ['mocha', '{packages,examples}/*/test/**/*.test.ts']],
  ['integration tests', ['mocha', '--timeout', '120000', 'test/**/*.test.ts']]
]

const started = performance.now()
for (const [name, [command, ...args]] of stages) {
  const t0 = performance.now()
  console.log(`\n▶ ${name}: ${command} ${args.join(' ')}`)
  // pnpm puts node_modules/.bin (with the project's Node 24) first on PATH for this script
  const result = spawnSync(command, args, { stdio: 'inherit' })
  const seconds = ((performance.now() - t0) / 1000).toFixed(1)
  if (result.status !== 0) {
    console.error(`\n✖ ${name} failed (exit ${result.status ?? result.signal}) after ${seconds} s`)
    process.exit(1)
  }
  console.log(`✔ ${name} (${seconds} s)`)
}
console.log(`\nall stages passed in ${((performance.now() - started) / 1000).toFixed(1)} s`)
