/**
 * Every command in a ```sh block of the top README, each package README and each example README
 * runs as written — or as the table below says, with the reason. Commands are extracted
 * mechanically, so a new one is covered at once; one that the table does not classify fails
 * the test, so nothing is skipped silently. Loopback only. The shortened forms keep the whole
 * run near 3 minutes on a quiet machine; each command's time is printed (a figure, not a
 * limit: speed goals belong in benchmarks).
 *
 * A block runs like a terminal session from the repository root: `cd`, `export` and `alias`
 * lines change the session; each other line runs with `bash -c`, with the values captured from
 * earlier output (named groups of `ready`/`capture`) and `$TMP` (a scratch directory) in its
 * environment. A long-running command starts, must print every `ready` pattern, the next
 * commands of its README (or its own `request`) are its one request — a README's blocks are often
 * terminals side by side — and after the README's last block it gets SIGINT, as Ctrl-C sends it
 * to the whole process group, and must exit within 20 s with 0 (or 130) and no stack trace.
 */
import assert from 'node:assert/strict'
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
/** Most a whole run may take before mocha gives up: a hang, not a speed goal. */
const LIMIT_MS = 600_000

/** How one README command is run. */
type Plan =
  | { kind: 'as written', check?: Check }
  | { kind: 'shortened', why: string, run: string, before?: (tmp: string) => void, capture?: RegExp, check?: Check }
  | { kind: 'long-running', why?: string, run?: string, before?: (tmp: string) => void, ready: RegExp[], request?: (vars: Vars) => Promise<void> }
  | { kind: 'not run', why: string, covered?: () => void }

type Vars = Record<string, string>
type Check = (out: { stdout: string, stderr: string, vars: Vars }) => void

const rootScripts = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts as Record<string, string>
const testStages = readFileSync(join(ROOT, 'scripts', 'test.ts'), 'utf8')
/** A root script must be `tsc -b && <stage>` for a stage that `pnpm test` runs. */
const isTestStage = (script: string, stage: string) => (): void => {
  assert.equal(rootScripts[script], `tsc -b && ${stage}`, `package.json script ${script}`)
  const args = stage.split(' ').map(a => a.replace(/^'|'$/g, ''))
  assert.ok(testStages.includes(`[${args.map(a => `'${a}'`).join(', ')}]`), `scripts/test.ts runs ${stage}`)
}

const PNPM = 'npx --yes pnpm@10.34.9'
const simRan = (nodes: number): Check => ({ stdout }) => { assert.match(stdout, new RegExp(`^${nodes} nodes, `, 'm')) }

/** A check that test/cli-relay.test.ts still has the test that covers a command not run here. */
const relayTestCovers = (title: string) => (): void => {
  assert.ok(readFileSync(join(ROOT, 'test', 'cli-relay.test.ts'), 'utf8').includes(title), `test/cli-relay.test.ts still has "${title}"`)
}

/** A check that `test/<file>` still has the test, titled `title`, that covers a command not run here. */
const testCovers = (file: string, title: string) => (): void => {
  assert.ok(readFileSync(join(ROOT, 'test', file), 'utf8').includes(title), `test/${file} still has "${title}"`)
}
const PUBLIC_NODE = 'a template (<public ip>) for a machine with a public address, listening on every interface: tests listen on loopback only, or inside the network lab\'s namespaces'

/** Every command found in a README, by its text (comments dropped, whitespace collapsed). */
const PLANS: Record<string, Plan> = {
  // README.md
  [`${PNPM} install && ${PNPM} start`]: { kind: 'not run', why: 'CI runs install and start as its own steps; install would rewrite node_modules under the running suite' },
  [`${PNPM} test`]: { kind: 'not run', why: 'this test is part of it' },
  [`${PNPM} build`]: { kind: 'as written' },
  [`${PNPM} lint`]: { kind: 'not run', why: 'a stage of pnpm test', covered: () => { assert.equal(rootScripts.lint, 'eslint .'); assert.ok(testStages.includes("['eslint', '.']")) } },
  [`${PNPM} test:unit`]: { kind: 'not run', why: 'a stage of pnpm test', covered: isTestStage('test:unit', "mocha '{packages,examples}/*/test/**/*.test.ts'") },
  [`${PNPM} test:integration`]: { kind: 'not run', why: 'a stage of pnpm test, which runs this file', covered: isTestStage('test:integration', "mocha --timeout 120000 'test/**/*.test.ts'") },
  [`${PNPM} bench [scenario...] [--quick] [--json]`]: {
    kind: 'shortened',
    why: 'one --quick scenario, results to a scratch directory',
    run: `${PNPM} -s bench transport --quick --json --out "$TMP/bench"`,
    check: ({ stdout }) => { assert.equal(JSON.parse(stdout).results[0].scenario ?? 'transport', 'transport') }
  },
  [`${PNPM} run docs`]: { kind: 'not run', why: 'the API docs stage of pnpm test', covered: isTestStage('docs', 'typedoc') },
  [`${PNPM} test:standalone`]: { kind: 'not run', why: 'test/standalone.test.ts runs it in pnpm test', covered: () => { assert.equal(rootScripts['test:standalone'], 'tsc -b && node scripts/standalone.ts'); assert.ok(readdirSync(join(ROOT, 'test')).includes('standalone.test.ts')) } },
  [`${PNPM} release --dry-run`]: { kind: 'as written', check: ({ stdout }) => { assert.match(stdout, /dry run: nothing versioned, published or tagged/) } },

  // packages/sim/README.md
  [`${PNPM} sim --strategy flood --nodes 1000`]: {
    kind: 'shortened', why: 'charts to a scratch directory', run: `${PNPM} sim --strategy flood --nodes 1000 --out "$TMP/sim"`, check: simRan(1000)
  },
  [`${PNPM} -s sim --strategy all --nodes 10000 --spies 0.1 --json > results.json`]: {
    kind: 'shortened',
    why: 'small --nodes; JSON and charts to a scratch directory',
    run: `${PNPM} -s sim --strategy all --nodes 300 --spies 0.1 --json --out "$TMP/sim" > "$TMP/results.json"`,
    check: ({ vars }) => { assert.equal(JSON.parse(readFileSync(join(vars.TMP, 'results.json'), 'utf8')).results.length, 5) }
  },
  'node packages/sim/bin/hearsay-sim.js --strategy flood,dandelion --nodes 100000 --out /tmp/run': {
    kind: 'shortened', why: 'small --nodes', run: 'node packages/sim/bin/hearsay-sim.js --strategy flood,dandelion --nodes 300 --out "$TMP/run"', check: simRan(300)
  },
  'node packages/sim/bin/hearsay-sim.js --strategy flood --edges gnutella08.txt --latency uniform:20:200': {
    kind: 'shortened',
    why: 'a small edge list in the SNAP format stands in for the Gnutella snapshot, which is not in the repository',
    before: tmp => {
      const lines = ['# Directed graph: a ring with chords', '# FromNodeId\tToNodeId']
      for (let i = 0; i < 200; i++) lines.push(`${i}\t${(i + 1) % 200}`, `${i}\t${(i * 7 + 3) % 200}`)
      writeFileSync(join(tmp, 'gnutella08.txt'), lines.join('\n') + '\n')
    },
    run: 'node packages/sim/bin/hearsay-sim.js --strategy flood --edges "$TMP/gnutella08.txt" --latency uniform:20:200 --out "$TMP/sim"',
    check: simRan(200)
  },

  'node packages/sim/bin/hearsay-sim.js --strategy diffusion,dandelion --nodes 1000 --degree 4 --one-per-node --spies 0.1': {
    kind: 'shortened',
    why: 'small --nodes (one message per honest node makes the run grow with the square of the nodes)',
    run: 'node packages/sim/bin/hearsay-sim.js --strategy diffusion,dandelion --nodes 200 --degree 4 --one-per-node --spies 0.1 --out "$TMP/sim"',
    check: ({ stdout }) => {
      assert.match(stdout, /^200 nodes, .* 180 messages,/m)
      assert.match(stdout, /precision \(papers\) \| guess accuracy \| recall/)
    }
  },

  'node packages/sim/bin/hearsay-sim.js --strategy diffusion --nodes 2000 --messages 100 --eavesdropper 1 --centre 16 --no-charts': {
    kind: 'as written',
    check: ({ stdout }) => {
      assert.match(stdout, /^2000 nodes, .* 100 messages,/m)
      assert.match(stdout, /precision \(papers\) \| guess accuracy \| recall \| centre precision \(papers\) \| centre recall/)
    }
  },

  // examples/custom-protocol/README.md
  'tsc -b': { kind: 'as written' },
  'node examples/custom-protocol/src/demo.ts': { kind: 'as written', check: ({ stdout }) => { assert.match(stdout, /converged/) } },
  'npm run generate': {
    kind: 'as written',
    check: () => { assert.equal(execFileSync('git', ['status', '--porcelain', 'src/pb'], { cwd: join(ROOT, 'examples', 'custom-protocol'), encoding: 'utf8' }), '', 'generate reproduces the committed src/pb') }
  },
  "mocha 'examples/custom-protocol/test/**/*.test.ts'": { kind: 'as written' },
  'mocha --timeout 120000 test/custom-protocol.test.ts': { kind: 'as written' },

  // examples/demo/README.md
  [`${PNPM} start`]: { kind: 'not run', why: 'CI runs start as its own step (about a minute of 13 processes)' },

  // examples/file-share/README.md (`hearsay-share` is the README's alias)
  'head -c 20000000 /dev/urandom > /tmp/holiday.mp4': {
    kind: 'shortened', why: '3 MB instead of 20, in a scratch directory', run: 'head -c 3000000 /dev/urandom > "$TMP/holiday.mp4"'
  },
  'hearsay-share seed /tmp/holiday.mp4 --data-dir /tmp/seeder | tee /tmp/seeder.txt': {
    kind: 'long-running',
    why: 'file, data and output in a scratch directory',
    run: 'hearsay-share seed "$TMP/holiday.mp4" --data-dir "$TMP/seeder" | tee "$TMP/seeder.txt"',
    ready: [/\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\/\w+/, /added baf\w+/]
  },
  "BOOT=$(grep -o '/ip4/[^ ]*/p2p/[^ ]*' /tmp/seeder.txt | head -1)": {
    kind: 'shortened', why: 'the seeder\'s output in the scratch directory; the value is kept for the next lines', run: `grep -o '/ip4/[^ ]*/p2p/[^ ]*' "$TMP/seeder.txt" | head -1`, capture: /(?<BOOT>\/ip4\/\S+)/
  },
  "ID=$(grep -o 'bafk[a-z0-9]*' /tmp/seeder.txt | head -1)": {
    kind: 'shortened', why: 'the seeder\'s output in the scratch directory; the value is kept for the next lines', run: `grep -o 'bafk[a-z0-9]*' "$TMP/seeder.txt" | head -1`, capture: /(?<ID>bafk[a-z0-9]+)/
  },
  'hearsay-share search holiday --bootstrap "$BOOT" --data-dir /tmp/getter': {
    kind: 'shortened',
    why: 'data in a scratch directory',
    run: 'hearsay-share search holiday --bootstrap "$BOOT" --data-dir "$TMP/getter"',
    check: ({ stdout, vars }) => { assert.ok(stdout.includes(vars.ID), 'search finds the seeded file') }
  },
  'hearsay-share get "$ID" --out /tmp/downloads/ --bootstrap "$BOOT" --data-dir /tmp/getter': {
    kind: 'shortened',
    why: 'output and data in a scratch directory',
    run: 'hearsay-share get "$ID" --out "$TMP/downloads/" --bootstrap "$BOOT" --data-dir "$TMP/getter"',
    check: ({ vars }) => { assert.deepEqual(readFileSync(join(vars.TMP, 'downloads', 'holiday.mp4')), readFileSync(join(vars.TMP, 'holiday.mp4'))) }
  },

  'hearsay-share seed ~/shared --listen /ip4/0.0.0.0/tcp/4001 --announce /ip4/<public ip>/tcp/4001': {
    kind: 'not run', why: `${PUBLIC_NODE}; test/cli-share.test.ts checks what --announce prints, test/lab-apps.test.ts runs public nodes with it`, covered: testCovers('cli-share.test.ts', 'seed and index --announce print that address at once')
  },
  'hearsay-share seed /tmp/holiday.mp4 --listen /ip4/0.0.0.0/tcp/4001 --bootstrap /ip4/<public ip>/tcp/4001/p2p/<its peer id>': {
    kind: 'not run', why: `${PUBLIC_NODE}; test/lab-apps.test.ts runs this seeder behind a NAT router`, covered: testCovers('lab-apps.test.ts', 'hearsay-share across two NATs')
  },
  'hearsay-share get <id> --listen /ip4/0.0.0.0/tcp/4001 --bootstrap /ip4/<public ip>/tcp/4001/p2p/<its peer id>': {
    kind: 'not run', why: `${PUBLIC_NODE}; test/lab-apps.test.ts runs this download behind another NAT router`, covered: testCovers('lab-apps.test.ts', 'hearsay-share across two NATs')
  },

  // examples/tx-relay/README.md
  [`${PNPM} -s hearsay-relay devnet --nodes 8`]: {
    kind: 'long-running',
    why: '3 nodes instead of 8: the same code paths at less CPU',
    run: `${PNPM} -s hearsay-relay devnet --nodes 3`,
    ready: [/node 0: (?<RELAY_API>http:\/\/127(\.\d+){3}:\d+) +\(cookie (?<RELAY_COOKIE>[^)]+)\)/, /dashboard: http:\/\/127(\.\d+){3}:\d+/]
  },
  [`${PNPM} -s hearsay-relay keygen --out alice.pem`]: {
    kind: 'shortened', why: 'the key file in a scratch directory', run: `${PNPM} -s hearsay-relay keygen --out "$TMP/alice.pem"`, capture: /(?<ALICE_PUB>\b[0-9a-f]{64}\b)/
  },
  [`${PNPM} -s hearsay-relay send --api <a node's API URL> --cookie <its cookie file> --key alice.pem --to <recipient public key> --amount 10 --fee 2`]: {
    kind: 'shortened',
    why: 'the devnet\'s first node and its cookie, and alice\'s own key as the recipient',
    run: `${PNPM} -s hearsay-relay send --api "$RELAY_API" --cookie "$RELAY_COOKIE" --key "$TMP/alice.pem" --to "$ALICE_PUB" --amount 10 --fee 2`,
    check: ({ stdout }) => { assert.match(stdout, /[0-9a-f]{64}/, 'prints the transaction id') }
  },
  [`${PNPM} -s hearsay-relay node`]: {
    kind: 'not run',
    why: 'on the defaults it writes to the user\'s own data directory; test/cli-relay.test.ts runs exactly this with XDG_DATA_HOME in a scratch directory, on ports 7333/7332',
    covered: relayTestCovers('a node on the defaults (data directory, ports 7333/7332)')
  },
  [`${PNPM} -s hearsay-relay node --listen /ip4/0.0.0.0/tcp/7333 --announce /ip4/<public ip>/tcp/7333`]: {
    kind: 'not run', why: `${PUBLIC_NODE}; test/cli-relay.test.ts checks what announce prints, test/lab-apps.test.ts runs public nodes with it`, covered: relayTestCovers('reads the config file in its data directory, and flags override it')
  },
  [`${PNPM} -s hearsay-relay node --listen /ip4/0.0.0.0/tcp/7333 --bootstrap /ip4/<public ip>/tcp/7333/p2p/<its peer id>`]: {
    kind: 'not run', why: `${PUBLIC_NODE}; test/lab-apps.test.ts runs such nodes behind NAT routers`, covered: testCovers('lab-apps.test.ts', 'hearsay-relay: 8 nodes, 3 behind NATs')
  },
  "curl -s 'http://127.0.0.1:7332/mempool?limit=10'": {
    kind: 'not run', why: 'needs the node above on the default ports: test/cli-relay.test.ts makes these requests to it', covered: relayTestCovers('get no CORS headers; reads are open to any origin')
  },
  "curl -s -d '{}' http://127.0.0.1:7332/tx": {
    kind: 'not run', why: 'needs the node above on the default ports: test/cli-relay.test.ts checks the 401 without a token', covered: relayTestCovers('get no CORS headers; reads are open to any origin')
  },
  'curl -s -H "Authorization: Bearer $(cat ~/.local/share/hearsay-relay/.cookie)" -d \'{}\' http://127.0.0.1:7332/tx': {
    kind: 'not run', why: 'needs the node above on the default ports: test/cli-relay.test.ts checks the 400 for a malformed body with the token', covered: relayTestCovers('answers 405 with Allow, HEAD without a body, and 400')
  }
}

/** One ```sh block's commands, continuation lines joined, comments and blank lines dropped. */
interface Block { readme: string, line: number, commands: string[] }

export function extractBlocks (readme: string, text: string): Block[] {
  const blocks: Block[] = []
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    if (!/^```(sh|bash|shell|console)\s*$/.test(lines[i])) continue
    const block: Block = { readme, line: i + 1, commands: [] }
    let pending = ''
    for (i++; i < lines.length && !lines[i].startsWith('```'); i++) {
      const line = lines[i].replace(/(^|\s)#.*$/, '').trimEnd()
      if (line.endsWith('\\')) { pending += line.slice(0, -1) + ' '; continue }
      const command = (pending + line).replace(/\s+/g, ' ').trim()
      pending = ''
      if (command !== '') block.commands.push(command)
    }
    blocks.push(block)
  }
  return blocks
}

function readmes (): string[] {
  const found = ['README.md']
  for (const parent of ['packages', 'examples']) {
    for (const name of readdirSync(join(ROOT, parent)).sort()) {
      if (readdirSync(join(ROOT, parent, name)).includes('README.md')) found.push(`${parent}/${name}/README.md`)
    }
  }
  return found
}

/** Lines that change the session rather than run something. */
const SESSION = /^(cd|export|alias) /

/** Untracked files in the repository (a command's output left behind shows up here). */
function untrackedFiles (): Set<string> {
  const out = execFileSync('git', ['ls-files', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' })
  return new Set(out.split('\n').filter(Boolean))
}

interface Session { cwd: string, env: NodeJS.ProcessEnv, aliases: Map<string, string>, vars: Vars }

function expandAlias (session: Session, command: string): string {
  const [word, ...rest] = command.split(' ')
  const alias = session.aliases.get(word)
  return alias == null ? command : [alias, ...rest].join(' ')
}

function applySession (session: Session, command: string): void {
  const cd = /^cd (.+)$/.exec(command)
  if (cd != null) { session.cwd = join(session.cwd, cd[1]); return }
  const alias = /^alias (\S+?)='(.*)'$/.exec(command)
  if (alias != null) { session.aliases.set(alias[1], alias[2]); return }
  const exported = /^export (\w+)=(.*)$/.exec(command)
  assert.ok(exported != null, `a session line this test understands: ${command}`)
  session.env[exported[1]] = execFileSync('bash', ['-c', `printf %s ${exported[2]}`], { cwd: session.cwd, env: session.env, encoding: 'utf8' })
}

const noStack = (what: string, stderr: string): void => { assert.doesNotMatch(stderr, /\n\s+at .+:\d+:\d+\)?\n/, `${what}: no stack trace`) }

/** Signal a process group that may be gone already. */
function signalGroup (pid: number | undefined, signal: NodeJS.Signals): void {
  try {
    if (pid != null) process.kill(-pid, signal)
  } catch (err: any) {
    if (err.code !== 'ESRCH') throw err
  }
}

/** A long-running command started by a block: it runs on until its README's last block is done. */
interface Running { what: string, child: ReturnType<typeof spawn>, output: () => string }

/**
 * Run one block as a terminal session; the long-running commands it starts join `running`
 * (a README's blocks are often terminals side by side: the seeder in one, the getter in another).
 */
async function runBlock (block: Block, tmp: string, running: Running[]): Promise<void> {
  const session: Session = { cwd: ROOT, env: { ...process.env, TMP: tmp }, aliases: new Map(), vars: { TMP: tmp } }
  delete session.env.DEBUG
  for (const found of block.commands) {
    if (SESSION.test(found)) { applySession(session, found); continue }
    const plan = PLANS[found]
    const what = `${block.readme}:${block.line}: ${found}`
    if (plan.kind === 'not run') { plan.covered?.(); continue }
    if ('before' in plan) plan.before?.(tmp)
    const command = expandAlias(session, 'run' in plan && plan.run != null ? plan.run : found)
    const env = { ...session.env, ...session.vars }
    if (plan.kind === 'long-running') {
      const child = spawn('bash', ['-c', command], { cwd: session.cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
      let out = ''
      child.stdout.on('data', (d: Buffer) => { out += d.toString() })
      child.stderr.on('data', (d: Buffer) => { out += d.toString() })
      running.push({ what, child, output: () => out })
      const deadline = Date.now() + 60_000
      for (const pattern of plan.ready) {
        while (pattern.exec(out) == null) {
          assert.ok(Date.now() < deadline && child.exitCode == null, `${what}: not ready (${pattern}); output:\n${out}`)
          await new Promise(resolve => setTimeout(resolve, 100))
        }
        Object.assign(session.vars, pattern.exec(out)?.groups)
      }
      await plan.request?.(session.vars)
      continue
    }
    const t0 = Date.now()
    const r = spawnSync('bash', ['-c', command], { cwd: session.cwd, env, encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 2 ** 20 })
    console.log(`      ${((Date.now() - t0) / 1000).toFixed(1)} s  ${command}`)
    assert.equal(r.status, 0, `${what}: exit ${r.status ?? r.signal}\n${command}\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-2000)}`)
    noStack(what, r.stderr)
    if (plan.kind === 'shortened' && plan.capture != null) {
      const groups = plan.capture.exec(r.stdout)?.groups
      assert.ok(groups != null, `${what}: output has ${plan.capture}\n${r.stdout}`)
      Object.assign(session.vars, groups)
    }
    plan.check?.({ stdout: r.stdout, stderr: r.stderr, vars: session.vars })
  }
}

/** Ctrl-C each long-running command, last started first: each must exit with 0 or 130 and no stack trace. */
async function stopRunning (running: Running[]): Promise<void> {
  for (const { what, child, output } of running.splice(0).reverse()) {
    const exited = new Promise<number | null>(resolve => {
      if (child.exitCode != null) resolve(child.exitCode)
      else child.once('exit', (code, signal) => { resolve(code ?? (signal === 'SIGINT' ? 130 : null)) })
    })
    // Ctrl-C: the terminal signals the whole foreground process group
    signalGroup(child.pid, 'SIGINT')
    const code = await Promise.race([exited, new Promise<'hung'>(resolve => setTimeout(() => { resolve('hung') }, 20_000))])
    if (code === 'hung') signalGroup(child.pid, 'SIGKILL')
    assert.ok(code === 0 || code === 130, `${what}: after SIGINT exit ${code}; output:\n${output()}`)
    noStack(what, output())
  }
}

describe('README commands', function () {
  this.timeout(LIMIT_MS)
  const blocks = readmes().flatMap(readme => extractBlocks(readme, readFileSync(join(ROOT, readme), 'utf8')))

  it('classifies every command found in a README', () => {
    const found = new Set(blocks.flatMap(b => b.commands).filter(c => !SESSION.test(c)))
    const unclassified = [...found].filter(c => PLANS[c] == null)
    assert.deepEqual(unclassified, [], 'add these to PLANS in test/readme-commands.test.ts')
    const stale = Object.keys(PLANS).filter(c => !found.has(c))
    assert.deepEqual(stale, [], 'commands in PLANS that no README shows any more')
  })

  it('runs them, as written or as classified', async () => {
    const before = untrackedFiles()
    const started = Date.now()
    const tmp = mkdtempSync(join(tmpdir(), 'hearsay-readme-'))
    try {
      for (const readme of new Set(blocks.map(b => b.readme))) {
        const running: Running[] = []
        try {
          for (const block of blocks.filter(b => b.readme === readme)) {
            if (block.commands.every(c => SESSION.test(c) || PLANS[c]?.kind === 'not run')) {
              for (const c of block.commands) if (!SESSION.test(c)) (PLANS[c] as { covered?: () => void }).covered?.()
              continue
            }
            await runBlock(block, tmp, running)
          }
        } finally {
          await stopRunning(running)
        }
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true })
    }
    console.log(`      README commands: ${((Date.now() - started) / 1000).toFixed(1)} s in all`)
    const left = [...untrackedFiles()].filter(f => !before.has(f))
    assert.deepEqual(left, [], 'README commands must not leave files in the repository')
  })
})
