/**
 * hearsay-share conformance: the real program as processes on loopback. `--help` and
 * `--version`; every usage error exits 2 with one line on stderr naming the flag and no stack
 * (and, with `--json`, one `error` event on stdout); `get` never destroys data (`--force`,
 * `--out dir/`); `--timeout` bounds a get through a dead bootstrap, names the bootstrap, and does
 * not cut off a download that keeps progressing.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { createServer, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { JsonProcess, type ChildEvent } from '../examples/demo/src/process.ts'

const cli = fileURLToPath(new URL('../examples/file-share/src/cli.ts', import.meta.url))
const { version } = JSON.parse(readFileSync(new URL('../examples/file-share/package.json', import.meta.url), 'utf8')) as { version: string }
const STEP_MS = 45_000
/** 256 KiB pieces: the files are whole pieces */
const PIECE = 256 * 1024
const PEER = '12D3KooWDMX7oJ6nvuiC89Vswqt7Y6HzQHqrkT77aZTb5vXARgzL'
const SOME_ID = 'bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bdu3f3bf2xbhh2ky'

/** Process i listens on, and dials from, 127.0.191.<i>. */
function on (i: number): string[] {
  return ['--listen', `/ip4/127.0.191.${i}/tcp/0`, '--dial-from', `127.0.191.${i}`]
}

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

/** Run the CLI to its end (killed after `timeoutMs`), with `home` as its default data dir. */
async function run (args: string[], home: string, timeoutMs = STEP_MS): Promise<Run> {
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HEARSAY_SHARE_HOME: home } })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  const timer = setTimeout(() => { child.kill('SIGKILL') }, timeoutMs)
  const code = await new Promise<number | null>(resolve => child.once('close', resolve))
  clearTimeout(timer)
  return { code, stdout, stderr }
}

/** Every stdout line of a --json run is a JSON event. */
function jsonLines (stdout: string): ChildEvent[] {
  return stdout.split('\n').filter(line => line !== '').map(line => {
    try {
      return JSON.parse(line)
    } catch {
      assert.fail(`not a JSON line on stdout: ${line}`)
    }
  })
}

/** One line on stderr, with no stack frame in it. */
function assertOneLine (stderr: string, context: string): void {
  assert.equal(stderr.trim().split('\n').length, 1, `${context}: one line on stderr, got:\n${stderr}`)
  assert.doesNotMatch(stderr, /^\s+at /m, `${context}: a stack trace`)
}

function sha256 (bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/** Run `tasks` at most `limit` at a time (each starts a Node process; the machine may be small). */
async function pool<T> (tasks: Array<() => Promise<T>>, limit: number): Promise<T[]> {
  const results: T[] = new Array(tasks.length)
  let next = 0
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < tasks.length) {
      const i = next++
      results[i] = await tasks[i]()
    }
  }))
  return results
}

describe('hearsay-share conformance (processes on loopback)', function () {
  this.timeout(240_000)
  let dir: string
  let home: string

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hearsay-share-cli-'))
    home = join(dir, 'home')
  })

  after(async () => {
    if (dir != null) await rm(dir, { recursive: true, force: true })
  })

  it('--help of the program and of each command exits 0, each listing only the options it uses', async () => {
    const commands = ['', 'seed', 'get', 'search', 'index', 'list']
    const runs = await pool(commands.map(c => async () => await run([...(c === '' ? [] : [c]), '--help'], home)), 3)
    const help = new Map(commands.map((c, i) => [c, runs[i]]))
    for (const [command, { code, stdout, stderr }] of help) {
      assert.equal(code, 0, `${command} --help: ${stderr}`)
      assert.match(stdout, new RegExp(`^Usage: hearsay-share ${command}`), command)
    }
    assert.match(help.get('')?.stdout ?? '', /--version/)
    assert.match(help.get('')?.stdout ?? '', /DEBUG=hearsay:\*/)
    for (const flag of ['--out', '--force', '--timeout', '--keep-seeding', '--max-upload', '--bootstrap', '--json', '--quiet', '--verbose']) {
      assert.match(help.get('get')?.stdout ?? '', new RegExp(flag), `get --help: ${flag}`)
    }
    const listHelp = help.get('list')?.stdout ?? ''
    for (const flag of ['--listen', '--bootstrap', '--dial-from', '--max-upload', '--index', '--timeout']) assert.doesNotMatch(listHelp, new RegExp(flag), `list --help: ${flag}`)
    for (const flag of ['--data-dir', '--json']) assert.match(listHelp, new RegExp(flag), `list --help: ${flag}`)
    assert.doesNotMatch(help.get('index')?.stdout ?? '', /--max-upload|--index/)
    assert.doesNotMatch(help.get('search')?.stdout ?? '', /--max-upload|--out/)
  })

  it('--version prints the package version and exits 0', async () => {
    for (const flag of ['--version', '-V']) {
      const { code, stdout } = await run([flag], home)
      assert.equal(code, 0)
      assert.equal(stdout.trim(), version)
    }
  })

  /** Usage errors by what they are about, each as arguments and what the one line must say. */
  function usageErrors (file: string, locked: string): Record<string, Array<[string[], RegExp]>> {
    return {
      'commands, arguments and options': [
        [['frobnicate'], /unknown command 'frobnicate'/],
        [['get'], /missing required argument 'id'/],
        [['get', 'not-an-id'], /not a hearsay file id/],
        [['get', SOME_ID, '--forc'], /unknown option '--forc'/],
        [['get', SOME_ID, 'extra'], /too many arguments/],
        [['get', SOME_ID, '--quiet', '--verbose'], /--quiet.*--verbose/],
        [['search'], /missing required argument 'words'/],
        [['search', '!!'], /at least one word/],
        [['search', 'x', '--via', 'carrier-pigeon'], /--via/],
        [['search', 'x', '--via', 'central'], /--index/],
        [['seed'], /missing required argument 'path'/],
        [['index', '--max-upload', '1MB'], /unknown option '--max-upload'/],
        [['list', '--listen', '/ip4/127.0.0.1/tcp/0'], /unknown option '--listen'/],
        [['list', 'extra'], /too many arguments/]
      ],
      'numbers and rates': [
        [['get', SOME_ID, '--timeout', 'soon'], /--timeout/],
        [['get', SOME_ID, '--timeout', '0'], /--timeout/],
        [['get', SOME_ID, '--timeout', '99999999'], /--timeout.*at most/],
        [['get', SOME_ID, '--max-upload', 'fast'], /--max-upload/],
        [['seed', file, '--max-upload', '0'], /--max-upload/],
        [['search', 'x', '--limit', '0'], /--limit/]
      ],
      'addresses': [
        [['get', SOME_ID, '--bootstrap', '/ip4/127.0.0/tcp'], /--bootstrap.*not a multiaddr/],
        [['get', SOME_ID, '--bootstrap', '/ip4/127.0.0.1/tcp/1'], /--bootstrap.*\/p2p\//],
        [['get', SOME_ID, '--bootstrap', '/ip4/127.0.0.1/tcp/1/p2p/xyz'], /--bootstrap.*not a peer id/],
        [['get', SOME_ID, '--bootstrap', `/ip4/127.0.0.1/udp/1/p2p/${PEER}`], /--bootstrap.*TCP/],
        [['search', 'x', '--index', '/ip4/127.0.0.1/tcp/1'], /--index.*\/p2p\//],
        [['get', SOME_ID, '--listen', '/ip4/127.0.0.1/udp/0'], /--listen.*TCP/],
        [['get', SOME_ID, '--listen', '/ip4/127.0.0.1/tcp/70000'], /--listen.*not a multiaddr/],
        // binding to a documentation address (TEST-NET-1) fails locally: nothing is sent
        [['get', SOME_ID, '--listen', '/ip4/192.0.2.1/tcp/0'], /--listen.*not an address of this machine/],
        [['seed', file, '--announce', '/ip4/127.0.0.1/udp/4001'], /--announce.*public address/],
        [['seed', file, '--announce', `/ip4/127.0.0.1/tcp/4001/p2p/${PEER}`], /--announce.*public address/],
        [['get', SOME_ID, '--dial-from', '999.1.1.1'], /--dial-from/],
        [['get', SOME_ID, '--dial-from', '192.0.2.1'], /--dial-from.*not an address of this machine/]
      ],
      'paths': [
        [['get', SOME_ID, '--out', join(dir, 'missing', 'x.bin')], /--out: no such directory/],
        [['get', SOME_ID, '--out', `${file}/`], /--out.*not a directory/],
        [['get', SOME_ID, '--out', file], /exists: add --force/],
        [['get', SOME_ID, '--data-dir', ''], /--data-dir/],
        [['get', SOME_ID, '--data-dir', file], /--data-dir.*not a directory/],
        [['seed', join(dir, 'no-such-file')], /cannot read .*no-such-file: no such file or directory/],
        ...(process.getuid?.() === 0 ? [] : [[['seed', locked], /cannot read .*locked: permission denied/]] as Array<[string[], RegExp]>)
      ]
    }
  }

  for (const group of ['commands, arguments and options', 'numbers and rates', 'addresses', 'paths']) {
    it(`usage errors (${group}) exit 2 with one line naming what was wrong, and one error event with --json`, async () => {
      const file = join(dir, 'a-file')
      await writeFile(file, 'precious')
      const locked = join(dir, 'locked')
      await mkdir(locked, { recursive: true })
      await chmod(locked, 0)
      const cases = usageErrors(file, locked)[group]
      try {
        const runs = await pool(cases.map(([args]) => async () => await run([...args, '--json'], home)), 4)
        for (const [i, [args, message]] of cases.entries()) {
          const { code, stdout, stderr } = runs[i]
          const context = args.join(' ')
          assert.equal(code, 2, `${context}: exit ${code}, ${stderr}`)
          assertOneLine(stderr, context)
          assert.match(stderr, /^hearsay-share: /, context)
          assert.match(stderr, message, context)
          const events = jsonLines(stdout)
          assert.equal(events.length, 1, `${context}: ${stdout}`)
          assert.equal(events[0].event, 'error')
          assert.equal(events[0].code, 2)
          assert.equal(`hearsay-share: ${String(events[0].message)}`, stderr.trim())
        }
        assert.equal((await readFile(file, 'utf8')), 'precious', 'the file --out named is untouched')
      } finally {
        await chmod(locked, 0o700)
      }
    })
  }

  it('seed and index --announce print that address at once, as announced (not checked), beside the local ones', async () => {
    await writeFile(join(dir, 'announced.bin'), randomBytes(1000))
    const announce = '/dns4/share.example.org/tcp/4001'
    const seeder = new JsonProcess('announcing seeder', cli, ['seed', join(dir, 'announced.bin'), ...on(30), '--announce', announce, '--data-dir', join(dir, 'announcing'), '--json'])
    const index = spawn(process.execPath, [cli, 'index', ...on(31), '--announce', announce, '--data-dir', join(dir, 'announcing-index')], { stdio: ['ignore', 'pipe', 'pipe'] })
    try {
      const listening = await seeder.waitFor(e => e.event === 'listening', STEP_MS)
      const own = `${announce}/p2p/${String(listening.peerId)}`
      assert.deepEqual(listening.bootstrap[0], { addr: own, kind: 'announced' }, JSON.stringify(listening.bootstrap))
      assert.ok(listening.bootstrap.slice(1).every((a: any) => a.kind === 'local' && a.addr.startsWith('/ip4/127.0.191.30/')), JSON.stringify(listening.bootstrap))
      let human = ''
      index.stdout.on('data', (chunk: Buffer) => { human += chunk.toString() })
      const deadline = Date.now() + STEP_MS
      while (!human.includes('Ctrl-C') && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 100))
      assert.match(human, /others can --bootstrap from:\n {2}\/dns4\/share\.example\.org\/tcp\/4001\/p2p\/\w+ {2}\(announced with --announce, not checked\)\n {2}\/ip4\/127\.0\.191\.31\/tcp\/\d+\/p2p\/\w+ {2}\(this machine or LAN only\)/)
    } finally {
      const closed = new Promise(resolve => index.once('close', resolve))
      index.kill('SIGTERM')
      const timer = setTimeout(() => { index.kill('SIGKILL') }, 5_000)
      await Promise.all([closed, seeder.stop()])
      clearTimeout(timer)
    }
  })

  it('no command: one line and exit 2, nothing on stdout', async () => {
    const bare = await run([], home)
    assert.equal(bare.code, 2)
    assertOneLine(bare.stderr, '(no command)')
    assert.match(bare.stderr, /missing command/)
    assert.equal(bare.stdout, '')
  })

  describe('with a seeder', () => {
    let seeder: JsonProcess
    let slow: JsonProcess
    let bootstrap: string
    let slowBootstrap: string
    let content: Uint8Array
    let slowContent: Uint8Array
    let name: string
    let id: string
    let slowId: string

    before(async () => {
      name = 'minutes.bin'
      content = randomBytes(4 * PIECE)
      slowContent = randomBytes(16 * PIECE)
      await mkdir(join(dir, 'shared'))
      await writeFile(join(dir, 'shared', name), content)
      await writeFile(join(dir, 'slow.bin'), slowContent)
      seeder = new JsonProcess('seeder', cli, ['seed', join(dir, 'shared', name), ...on(1), '--data-dir', join(dir, 'seeder'), '--json'])
      // 16 pieces at 500 kB/s: about 8 s of steady progress, a piece every half second
      slow = new JsonProcess('slow seeder', cli, ['seed', join(dir, 'slow.bin'), ...on(2), '--data-dir', join(dir, 'slow-seeder'), '--max-upload', '500kB', '--json'])
      bootstrap = (await seeder.waitFor(e => e.event === 'listening', STEP_MS)).addrs[0]
      id = (await seeder.waitFor(e => e.event === 'added', STEP_MS)).id
      slowBootstrap = (await slow.waitFor(e => e.event === 'listening', STEP_MS)).addrs[0]
      slowId = (await slow.waitFor(e => e.event === 'added', STEP_MS)).id
      await Promise.all([seeder.waitFor(e => e.event === 'seeding', STEP_MS), slow.waitFor(e => e.event === 'seeding', STEP_MS)])
      assert.ok(!seeder.events.some(e => e.event === 'output'), 'every stdout line of seed --json is JSON')
    })

    after(async () => {
      await Promise.all([seeder, slow].filter(p => p != null).map(async p => { await p.stop() }))
    })

    it('get refuses to overwrite an existing file — named by --out or by the manifest — and replaces it with --force', async () => {
      const downloads = join(dir, 'downloads')
      await mkdir(downloads)
      const existing = join(downloads, name)
      await writeFile(existing, 'precious')
      // --out names the file: refused before any networking
      const named = await run(['get', id, '--out', existing, ...on(10), '--data-dir', join(dir, 'g-named'), '--bootstrap', bootstrap], home)
      assert.equal(named.code, 2, named.stderr)
      assertOneLine(named.stderr, 'get --out <existing file>')
      assert.match(named.stderr, /exists: add --force/)
      // --out is a directory: the manifest names the file, and the download stops there
      const inDir = await run(['get', id, '--out', downloads, ...on(11), '--data-dir', join(dir, 'g-dir'), '--bootstrap', bootstrap, '--json'], home)
      assert.equal(inDir.code, 2, inDir.stderr)
      assertOneLine(inDir.stderr, 'get --out <dir with the file>')
      assert.match(inDir.stderr, new RegExp(`${name} exists: add --force`))
      const events = jsonLines(inDir.stdout)
      assert.ok(events.some(e => e.event === 'manifest'), 'refused once the manifest named the file')
      assert.ok(!events.some(e => e.event === 'done'))
      assert.equal(await readFile(existing, 'utf8'), 'precious', 'the existing file is untouched')

      const forced = await run(['get', id, '--out', downloads, '--force', ...on(12), '--data-dir', join(dir, 'g-dir'), '--bootstrap', bootstrap, '--json'], home)
      assert.equal(forced.code, 0, forced.stderr)
      const done = jsonLines(forced.stdout).find(e => e.event === 'done')
      assert.equal(done?.path, existing)
      assert.equal(sha256(await readFile(existing)), sha256(content))
    })

    it('get --out some/dir/ (missing) writes into that directory, made for it; human output is rounded and singular', async () => {
      const target = join(dir, 'new', 'deeper')
      const { code, stdout, stderr } = await run(['get', id, '--out', `${target}/`, ...on(13), '--data-dir', join(dir, 'g-new'), '--bootstrap', bootstrap], home)
      assert.equal(code, 0, stderr)
      assert.ok((await stat(target)).isDirectory())
      assert.equal(sha256(await readFile(join(target, name))), sha256(content))
      assert.match(stdout, new RegExp(`saved ${join(target, name)}`))
      assert.match(stdout, /from 1 peer:/)
      assert.match(stdout, /4 pieces/)
      assert.doesNotMatch(stdout, /\d\.\d{3,}/, 'sizes and rates rounded')
      assert.doesNotMatch(stdout, /\b1 (pieces|peers)\b/)
    })

    it('list shows the store: a table for people, one event per file with --json', async () => {
      const human = await run(['list', '--data-dir', join(dir, 'g-new')], home)
      assert.equal(human.code, 0, human.stderr)
      assert.match(human.stdout, /^HAVE\s+SIZE\s+NAME\s+ID$/m)
      assert.match(human.stdout, new RegExp(`^complete\\s+1.05 MB\\s+${name}\\s+${id}$`, 'm'))
      assert.match(human.stdout, /^1 file in /m)
      const json = await run(['list', '--data-dir', join(dir, 'g-new'), '--json'], home)
      assert.equal(json.code, 0, json.stderr)
      const events = jsonLines(json.stdout)
      assert.deepEqual(events.filter(e => e.event === 'file').map(e => [e.id, e.complete]), [[id, true]])
      assert.equal(events.at(-1)?.event, 'done')
    })

    it('a download that keeps progressing is not cut off by a shorter --timeout', async () => {
      const out = join(dir, 'slow-copy.bin')
      const { code, stdout, stderr } = await run(['get', slowId, '--out', out, '--timeout', '3', ...on(14), '--data-dir', join(dir, 'g-slow'), '--bootstrap', slowBootstrap, '--json'], home)
      assert.equal(code, 0, stderr)
      const done = jsonLines(stdout).find(e => e.event === 'done')
      assert.ok(done != null)
      assert.ok(done.seconds > 3, `the download took ${done.seconds} s, longer than --timeout`)
      assert.equal(sha256(await readFile(out)), sha256(slowContent))
    })

    it('a download that stops progressing ends after --timeout, keeping its pieces', async () => {
      const get = new JsonProcess('get (stalls)', cli, ['get', slowId, '--out', join(dir, 'stalled.bin'), '--timeout', '2', ...on(15), '--data-dir', join(dir, 'g-stall'), '--bootstrap', slowBootstrap, '--json'])
      try {
        await get.waitFor(e => e.event === 'progress' && e.piecesDone >= 2, STEP_MS)
        slow.kill('SIGSTOP')
        const stopped = performance.now()
        assert.equal(await get.exitCode(STEP_MS), 1)
        const seconds = (performance.now() - stopped) / 1000
        assert.ok(seconds < 2 + 5, `ended ${seconds.toFixed(1)} s after the seeder stopped (--timeout 2)`)
        assertOneLine(get.stderr, 'a stalled get')
        assert.match(get.stderr, /no piece of .* arrived for 2 s \(--timeout\); \d+ of 16 pieces kept/)
      } finally {
        slow.kill('SIGCONT')
        await get.stop()
      }
    })
  })

  describe('a dead bootstrap', () => {
    let silent: Server
    const sockets = new Set<Socket>()

    before(async () => {
      // accepts connections and never says a word: a peer that hangs
      silent = createServer(socket => { sockets.add(socket); socket.on('error', () => {}) })
      await new Promise<void>(resolve => silent.listen(0, '127.0.191.50', resolve))
    })

    after(async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise(resolve => silent.close(resolve))
    })

    /** A port nothing listens on: bound, then closed. */
    async function closedPort (): Promise<number> {
      const server = createServer()
      await new Promise<void>(resolve => server.listen(0, '127.0.191.51', resolve))
      const { port } = server.address() as { port: number }
      await new Promise(resolve => server.close(resolve))
      return port
    }

    for (const kind of ['refuses connections', 'never answers']) {
      it(`get --timeout 3 through a bootstrap that ${kind} ends within the bound and names it`, async () => {
        const addr = kind === 'never answers'
          ? `/ip4/127.0.191.50/tcp/${(silent.address() as { port: number }).port}/p2p/${PEER}`
          : `/ip4/127.0.191.51/tcp/${await closedPort()}/p2p/${PEER}`
        const get = new JsonProcess(`get via a bootstrap that ${kind}`, cli, ['get', SOME_ID, '--timeout', '3', ...on(kind === 'never answers' ? 20 : 21), '--data-dir', join(dir, `g-dead-${kind.split(' ')[0]}`), '--bootstrap', addr, '--json'])
        try {
          await get.waitFor(e => e.event === 'listening', STEP_MS)
          const listening = performance.now()
          assert.equal(await get.exitCode(STEP_MS), 1)
          // the clock starts once the node is up; stopping it takes a moment (before: a fixed
          // 15 s wait for the bootstrap, then --timeout)
          const seconds = (performance.now() - listening) / 1000
          assert.ok(seconds < 3 + 5, `ended ${seconds.toFixed(1)} s after listening (--timeout 3)`)
          assertOneLine(get.stderr, kind)
          assert.ok(get.stderr.includes(`cannot reach --bootstrap ${addr}`), get.stderr)
          assert.match(get.stderr, kind === 'never answers' ? /no answer in time/ : /connection refused/)
          assert.match(get.stderr, /within 3 s \(--timeout\)/)
          assert.deepEqual(get.events.map(e => e.event), ['listening', 'error'])
        } finally {
          await get.stop()
        }
      })
    }
  })
})
