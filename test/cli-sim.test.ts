/**
 * `hearsay-sim` as a user meets it, run as a real process through its bin: `--help`,
 * `--version`, every usage error (exit 2, one line naming the flag, no stack) and `--json`.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
const BIN = join(ROOT, 'packages', 'sim', 'bin', 'hearsay-sim.js')
const { version } = JSON.parse(readFileSync(join(ROOT, 'packages', 'sim', 'package.json'), 'utf8'))

interface Run { status: number | null, stdout: string, stderr: string }

function sim (args: string[], cwd: string): Run {
  const env = { ...process.env }
  delete env.DEBUG
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, env, encoding: 'utf8', timeout: 60_000 })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

/** A usage error: exit 2, nothing on stdout, one line on stderr that names `flag`, no stack. */
function assertUsageError (r: Run, flag: RegExp, what: string): void {
  assert.equal(r.status, 2, `${what}: exit code (stderr: ${r.stderr})`)
  assert.equal(r.stdout, '', `${what}: stdout`)
  const lines = r.stderr.trimEnd().split('\n')
  assert.equal(lines.length, 1, `${what}: one line, got ${JSON.stringify(r.stderr)}`)
  assert.match(lines[0], /^hearsay-sim: /, what)
  assert.match(lines[0], flag, what)
  assert.doesNotMatch(r.stderr, /\n\s+at |Error:/, `${what}: no stack`)
}

describe('hearsay-sim CLI', function () {
  this.timeout(120_000)
  let dir: string
  before(() => { dir = mkdtempSync(join(tmpdir(), 'hearsay-cli-sim-')) })
  after(() => { rmSync(dir, { recursive: true, force: true }) })

  it('--help lists every flag and exits 0', () => {
    const r = sim(['--help'], dir)
    assert.equal(r.status, 0)
    for (const flag of ['--strategy', '--nodes', '--one-per-node', '--spy-nodes', '--silent-spies', '--eavesdropper', '--centre', '--depth', '--json', '--version', '--verbose', '--quiet', '--out', 'DEBUG=hearsay:sim']) {
      assert.ok(r.stdout.includes(flag), `--help mentions ${flag}`)
    }
  })

  it('--version prints the package version and exits 0', () => {
    for (const flag of ['--version', '-V']) {
      const r = sim([flag], dir)
      assert.equal(r.status, 0)
      assert.equal(r.stdout.trim(), version)
    }
  })

  it('every usage error exits 2 with one line naming the flag', () => {
    writeFileSync(join(dir, 'bad-edges.txt'), '0\n')
    const cases: Array<[string[], RegExp]> = [
      [['--bogus'], /--bogus/],
      [['--nodes', 'x'], /--nodes/],
      [['--nodes', '1'], /--nodes/],
      [['--nodes', '2.5'], /--nodes/],
      [['--nodes'], /--nodes/],
      [['--degree', '0'], /--degree/],
      [['--nodes', '5', '--degree', '8'], /--degree/],
      [['--topology', 'mesh'], /--topology/],
      [['--messages', '0'], /--messages/],
      [['--interval', '-1'], /--interval/],
      [['--size', 'big'], /--size/],
      [['--latency', 'gaussian:5'], /--latency/],
      [['--bandwidth', '-3'], /--bandwidth/],
      [['--loss', '2'], /--loss/],
      [['--spies', '1.5'], /--spies/],
      [['--droppers', 'x'], /--droppers/],
      [['--delayers', '-0.1'], /--delayers/],
      [['--delay', 'soon'], /--delay/],
      [['--churn', '-1'], /--churn/],
      [['--ttl', '0'], /--ttl/],
      [['--eavesdropper', '-1'], /--eavesdropper/],
      [['--centre', '2.5'], /--centre/],
      [['--centre', '8'], /--centre/],
      [['--spy-nodes', '1,x'], /--spy-nodes/],
      [['--nodes', '10', '--spy-nodes', '3,10'], /--spy-nodes/],
      [['--topology', 'tree', '--depth', '0'], /--depth/],
      [['--topology', 'tree', '--degree', '100', '--depth', '10'], /--depth/],
      [['--horizon', 'x'], /--horizon/],
      [['--workers', '0'], /--workers/],
      [['--strategy', 'nope'], /--strategy/],
      [['--strategy', 'gossipsub'], /--strategy/],
      [['--strategy', ','], /--strategy/],
      [['--edges', join(dir, 'missing.txt')], /--edges/],
      [['--edges', join(dir, 'bad-edges.txt')], /--edges/],
      [['--verbose', '--quiet'], /--verbose/],
      [['extra'], /argument/]
    ]
    for (const [args, flag] of cases) assertUsageError(sim(args, dir), flag, args.join(' '))
  })

  it('--json prints the results as JSON on stdout, progress stays on stderr', () => {
    const r = sim(['--strategy', 'flood,dandelion', '--nodes', '50', '--degree', '4', '--messages', '3', '--spies', '0.1', '--json', '--no-charts'], dir)
    assert.equal(r.status, 0, r.stderr)
    const { results } = JSON.parse(r.stdout)
    assert.deepEqual(results.map((x: any) => x.strategy), ['flood', 'dandelion'])
    for (const result of results) {
      assert.equal(result.config.nodes, 50)
      assert.equal(result.config.messages, 3)
      assert.ok(result.deliveryPct > 0 && result.deliveryPct <= 100)
    }
    assert.match(r.stderr, /network: 50 nodes/)
    assert.deepEqual(readdirSync(dir).filter(f => f !== 'bad-edges.txt'), [], 'no file written')
  })

  it("runs the anonymity papers' settings: one message per honest node, chosen silent spies, an eavesdropper, a tree", () => {
    const r = sim(['--strategy', 'diffusion', '--topology', 'tree', '--degree', '3', '--depth', '4', '--one-per-node', '--spy-nodes', '0,5',
      '--silent-spies', '--eavesdropper', '1', '--centre', '8', '--interval', '10', '--json', '--no-charts', '--quiet'], dir)
    assert.equal(r.status, 0, r.stderr)
    const [result] = JSON.parse(r.stdout).results
    assert.equal(result.config.nodes, 1 + 3 + 6 + 12 + 24)
    assert.equal(result.config.messages, 46 - 2, 'one message per honest node')
    assert.equal(result.config.eavesdropper, 1)
    assert.equal(result.spy.spies, 2)
    for (const key of ['precision', 'accuracy', 'recall']) assert.ok(result.spy[key] >= 0 && result.spy[key] <= 1, key)
    assert.equal(result.spy.centre.reports, 8)
    for (const key of ['precision', 'accuracy', 'recall']) assert.ok(result.spy.centre[key] >= 0 && result.spy.centre[key] <= 1, `centre ${key}`)
    assert.ok(result.spy.centre.guessed > 0, 'the centre names sources')
  })

  it('prints the table on stdout; --quiet silences progress, --verbose adds detail; a leading -- is dropped', () => {
    const args = ['--nodes', '30', '--degree', '3', '--messages', '2', '--out', join(dir, 'charts')]
    const plain = sim(['--', ...args], dir)
    assert.equal(plain.status, 0, plain.stderr)
    assert.match(plain.stdout, /30 nodes, .* links, 2 messages/)
    assert.match(plain.stdout, /\| flood /)
    assert.match(plain.stderr, /^network: 30 nodes/m)
    assert.deepEqual(readdirSync(join(dir, 'charts')).sort(), ['coverage.svg', 'latency-cdf.svg'])

    const quiet = sim([...args, '--quiet', '--no-charts'], dir)
    assert.equal(quiet.status, 0)
    assert.equal(quiet.stderr, '')
    // same seed, same table, but for the wall time column
    const noWall = (table: string): string => table.replace(/\| [\d.]+ \|\n/g, '|\n')
    assert.equal(noWall(quiet.stdout), noWall(plain.stdout), 'same seed, same table')

    const verbose = sim([...args, '--verbose', '--no-charts'], dir)
    assert.equal(verbose.status, 0)
    assert.match(verbose.stderr, /events\/s/)
    assert.ok(verbose.stderr.split('\n').length > plain.stderr.split('\n').length)
  })

  it('DEBUG=hearsay:sim traces each step on stderr', () => {
    const r = spawnSync(process.execPath, [BIN, '--nodes', '20', '--degree', '3', '--messages', '1', '--quiet', '--no-charts'], {
      cwd: dir, env: { ...process.env, DEBUG: 'hearsay:*' }, encoding: 'utf8', timeout: 60_000
    })
    assert.equal(r.status, 0)
    assert.match(r.stderr, /hearsay:sim network built/)
    assert.match(r.stderr, /hearsay:sim flood: done/)
  })
})
