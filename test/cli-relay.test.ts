/**
 * hearsay-relay's CLI contract, on real processes (loopback only): --help and --version, every
 * usage error (exit 2, one line on stderr naming the flag, no stack trace, an `error` event
 * with --json), --json output that parses, the default data directory and ports, the config
 * file under the flags, and the HTTP API's rules (auth for writes, CORS for reads, 405/HEAD/
 * OPTIONS, schema-checked inputs, Prometheus metrics).
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { JsonProcess } from '../examples/demo/src/process.ts'

const cli = fileURLToPath(new URL('../examples/tx-relay/src/cli.ts', import.meta.url))
const pkg = JSON.parse(await readFile(new URL('../examples/tx-relay/package.json', import.meta.url), 'utf8')) as { version: string }
const RECIPIENT = 'ab'.repeat(32)

interface Run { code: number | null, stdout: string, stderr: string }

/** Run the CLI to completion (bounded: killed after 60 s). */
async function run (args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return await new Promise(resolve => {
    execFile(process.execPath, [cli, ...args], { env: { ...process.env, ...env }, timeout: 60_000 }, (err: any, stdout, stderr) => {
      resolve({ code: err == null ? 0 : typeof err.code === 'number' ? err.code : null, stdout, stderr })
    })
  })
}

/** One line on stderr, no stack trace. */
function oneLine (r: Run, what: string): string {
  const lines = r.stderr.trimEnd().split('\n')
  assert.equal(lines.length, 1, `${what}: one line on stderr, got:\n${r.stderr}`)
  assert.doesNotMatch(r.stderr, /\n\s+at |Error:|node:internal/, `${what}: no stack trace or raw error`)
  assert.match(lines[0], /^hearsay-relay: /, what)
  return lines[0]
}

describe('hearsay-relay CLI conformance (real processes)', function () {
  this.timeout(600_000)
  let base: string
  /** The per-user data directory: XDG_DATA_HOME points into the test's own temporary directory. */
  let env: NodeJS.ProcessEnv
  let keyFile: string
  const procs: JsonProcess[] = []

  before(async () => {
    base = await mkdtemp(join(tmpdir(), 'hearsay-cli-relay-'))
    env = { XDG_DATA_HOME: join(base, 'xdg'), DEBUG: '' }
    keyFile = join(base, 'alice.pem')
  })

  after(async () => {
    await Promise.all(procs.map(async p => { await p.stop() }))
    await rm(base, { recursive: true, force: true })
  })

  it('--help and --version exit 0 and print to stdout', async () => {
    const version = await run(['--version'])
    assert.equal(version.code, 0)
    assert.equal(version.stdout.trim(), pkg.version)
    for (const args of [['--help'], ...['node', 'keygen', 'send', 'devnet'].map(c => [c, '--help'])]) {
      const help = await run(args)
      assert.equal(help.code, 0, args.join(' '))
      assert.match(help.stdout, /^Usage: hearsay-relay/, args.join(' '))
      assert.equal(help.stderr, '', args.join(' '))
    }
    const nodeHelp = await run(['node', '--help'])
    for (const flag of ['--data-dir', '--config', '--listen', '--api', '--json', '--quiet', '--verbose']) assert.ok(nodeHelp.stdout.includes(flag), flag)
  })

  it('every usage error exits 2 with one line naming the flag, and an error event with --json', async () => {
    const notKey = join(base, 'not-a-key.pem')
    await writeFile(notKey, 'hello\n')
    const existing = join(base, 'existing.pem')
    await writeFile(existing, 'keep me\n')
    const badConfig = join(base, 'bad-config.json')
    await writeFile(badConfig, JSON.stringify({ relay: 'flood', port: 1 }))
    const badRelayConfig = join(base, 'bad-relay.json')
    await writeFile(badRelayConfig, JSON.stringify({ relay: 'carrier-pigeon' }))
    const send = ['send', '--key', keyFile, '--to', RECIPIENT, '--amount', '1', '--fee', '1']
    const dirs = ['--data-dir', join(base, 'usage-node'), '--api', '127.0.0.1:0', '--listen', '/ip4/127.0.0.1/tcp/0']
    const cases: Array<[string[], RegExp]> = [
      [['node', '--listen', '/ip4/1.2.3'], /--listen/],
      [['node', '--listen', '/ip4/127.0.0.1/udp/0'], /--listen/],
      [['node', '--api', '127.0.0.1:99999'], /--api/],
      [['node', '--api', 'localhost'], /--api/],
      [['node', '--dial-from', '999.0.0.1'], /--dial-from/],
      [['node', '--relay', 'carrier-pigeon'], /--relay/],
      [['node', '--min-fee', '-1'], /--min-fee/],
      [['node', '--bootstrap', '/ip4/127.0.0.1/tcp/1'], /--bootstrap/],
      [['node', '--bootstrap', '/ip4/127.0.0.1/tcp/1/p2p/notapeer'], /--bootstrap/],
      [['node', '--announce', '/ip4/127.0.0.1/udp/7333'], /--announce.*public address/],
      [['node', '--quiet', '--verbose'], /--quiet|--verbose/],
      [['node', ...dirs, '--peers-file', join(base, 'nope.json')], /--peers-file/],
      [['node', ...dirs, '--config', join(base, 'nope.json')], /--config/],
      [['node', ...dirs, '--config', badConfig], /bad-config\.json: "port"/],
      [['node', ...dirs, '--config', badRelayConfig], /bad-relay\.json: "relay"/],
      [['node', '--bogus'], /--bogus/],
      [['send', '--api', 'notaurl', '--key', keyFile, '--to', RECIPIENT, '--amount', '1', '--fee', '1'], /--api/],
      [['send', '--key', keyFile, '--to', 'zz', '--amount', '1', '--fee', '1'], /--to/],
      [['send', '--key', keyFile, '--to', RECIPIENT, '--amount', 'ten', '--fee', '1'], /--amount/],
      [['send', '--key', keyFile, '--to', RECIPIENT, '--amount', '1', '--fee', '18446744073709551616'], /--fee/],
      [['send', '--to', RECIPIENT, '--amount', '1', '--fee', '1'], /--key/],
      [['send', '--key', notKey, '--to', RECIPIENT, '--amount', '1', '--fee', '1'], /--key/],
      [['send', '--key', join(base, 'missing.pem'), '--to', RECIPIENT, '--amount', '1', '--fee', '1'], /--key/],
      [[...send, '--cookie', join(base, 'no-cookie')], /--cookie/],
      [['keygen', '--out', existing], /--out/],
      [['devnet', '--nodes', '0'], /--nodes/],
      [['devnet', '--nodes', '101'], /--nodes/],
      [['devnet', '--relay', 'smoke-signals'], /--relay/],
      [['teleport'], /teleport/]
    ]
    await run(['keygen', '--out', keyFile], env)
    // a few at a time: each is a process of its own; --json on every other one (the error
    // event comes from one of two places: commander's parse errors and the commands' own checks)
    for (let i = 0; i < cases.length; i += 4) {
      await Promise.all(cases.slice(i, i + 4).map(async ([args, flag], k) => {
        const what = args.join(' ')
        const plain = await run(args, env)
        assert.equal(plain.code, 2, `${what}: exit 2\n${plain.stderr}`)
        assert.match(oneLine(plain, what), flag, what)
        if ((i + k) % 2 === 1) return
        const json = await run([...args, '--json'], env)
        assert.equal(json.code, 2, `${what} --json: exit 2`)
        const events = json.stdout.trim().split('\n').map(line => JSON.parse(line))
        assert.deepEqual(events.map(e => [e.event, e.code]), [['error', 2]], `${what} --json: one error event`)
        assert.match(events[0].message, flag)
      }))
    }
    assert.equal(await readFile(existing, 'utf8'), 'keep me\n', 'keygen kept the existing file')
  })

  it('a failure (nothing listening at --api) exits 1 with one line', async () => {
    const cookie = join(base, 'some-cookie')
    await writeFile(cookie, 'ff'.repeat(32))
    const r = await run(['send', '--api', 'http://127.0.0.1:1', '--cookie', cookie, '--key', keyFile, '--to', RECIPIENT, '--amount', '1', '--fee', '1'], env)
    assert.equal(r.code, 1)
    assert.match(oneLine(r, 'send to a closed port'), /cannot reach http:\/\/127\.0\.0\.1:1/)
  })

  it('a port already taken exits 1 with one line naming --listen or --api', async () => {
    const server = createServer()
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    const port = (server.address() as AddressInfo).port
    try {
      const [p2p, api] = await Promise.all([
        run(['node', '--data-dir', join(base, 'taken-1'), '--api', '127.0.0.1:0', '--listen', `/ip4/127.0.0.1/tcp/${port}`], env),
        run(['node', '--data-dir', join(base, 'taken-2'), '--api', `127.0.0.1:${port}`, '--listen', '/ip4/127.0.0.1/tcp/0'], env)
      ])
      assert.equal(p2p.code, 1)
      assert.match(oneLine(p2p, 'p2p port taken'), /--listen \/ip4\/127\.0\.0\.1\/tcp\/\d+: cannot listen \(EADDRINUSE\)/)
      assert.equal(api.code, 1)
      assert.match(oneLine(api, 'API port taken'), /--api 127\.0\.0\.1:\d+: cannot listen \(EADDRINUSE\)/)
    } finally {
      server.close()
    }
  })

  it('keygen --json prints one key event; --quiet prints nothing', async () => {
    const json = await run(['keygen', '--json', '--out', join(base, 'bob.pem')])
    assert.equal(json.code, 0)
    const [event] = json.stdout.trim().split('\n').map(line => JSON.parse(line))
    assert.equal(event.event, 'key')
    assert.match(event.publicKey, /^[0-9a-f]{64}$/)
    const quiet = await run(['keygen', '--quiet', '--out', join(base, 'carol.pem')])
    assert.equal(quiet.code, 0)
    assert.equal(quiet.stdout, '')
    assert.ok(existsSync(join(base, 'carol.pem')))
  })

  describe('a node on the defaults (data directory, ports 7333/7332)', () => {
    let node: JsonProcess
    let listening: any
    const api = 'http://127.0.0.1:7332'

    before(async () => {
      // JsonProcess spawns with this process's environment: the default data dir must be the test's
      const saved = process.env.XDG_DATA_HOME
      process.env.XDG_DATA_HOME = env.XDG_DATA_HOME
      try {
        node = new JsonProcess('relay node', cli, ['node', '--json', '--verbose'])
      } finally {
        if (saved == null) delete process.env.XDG_DATA_HOME
        else process.env.XDG_DATA_HOME = saved
      }
      procs.push(node)
      listening = await node.waitFor(e => e.event === 'listening', 60_000)
    })

    it('keeps its data in the per-user data directory and listens on the fixed ports', async () => {
      assert.equal(listening.dataDir, join(base, 'xdg', 'hearsay-relay'))
      assert.equal(listening.api, api)
      assert.ok(listening.addrs.some((a: string) => a.startsWith('/ip4/127.0.0.1/tcp/7333/p2p/')), listening.addrs.join(' '))
      assert.equal(listening.cookie, join(listening.dataDir, '.cookie'))
      assert.match(await readFile(listening.cookie, 'utf8'), /^[0-9a-f]{64}\n$/)
      assert.ok(existsSync(join(listening.dataDir, 'identity.key')))
    })

    it('send finds the node and its cookie with no --api or --cookie, and prints a sent event', async () => {
      const r = await run(['send', '--json', '--key', keyFile, '--to', RECIPIENT, '--amount', '3', '--fee', '2'], env)
      assert.equal(r.code, 0, r.stderr)
      const [sent] = r.stdout.trim().split('\n').map(line => JSON.parse(line))
      assert.equal(sent.event, 'sent')
      assert.equal(sent.nonce, '0')
      const mempool = await (await fetch(`${api}/mempool`)).json()
      assert.deepEqual(mempool.txs.map((t: any) => t.id), [sent.id])
      // and --verbose logged it, as DEBUG=hearsay:* would
      assert.match(node.stderr, /hearsay:relay accepted/)
    })

    it('writes need the cookie\'s token and get no CORS headers; reads are open to any origin', async () => {
      const token = (await readFile(listening.cookie, 'utf8')).trim()
      const noToken = await fetch(`${api}/tx`, { method: 'POST', body: '{}' })
      assert.equal(noToken.status, 401)
      assert.equal(noToken.headers.get('access-control-allow-origin'), null)
      const wrongToken = await fetch(`${api}/tx`, { method: 'POST', body: '{}', headers: { authorization: `Bearer ${'0'.repeat(64)}` } })
      assert.equal(wrongToken.status, 401)
      const badBody = await fetch(`${api}/tx`, { method: 'POST', body: '{"from":"x"}', headers: { authorization: `Bearer ${token}` } })
      assert.equal(badBody.status, 400)
      assert.match((await badBody.json()).error, /from/)
      const preflightWrite = await fetch(`${api}/tx`, { method: 'OPTIONS', headers: { origin: 'http://example.test', 'access-control-request-method': 'POST' } })
      assert.equal(preflightWrite.status, 204)
      assert.equal(preflightWrite.headers.get('allow'), 'POST, OPTIONS')
      assert.equal(preflightWrite.headers.get('access-control-allow-origin'), null, 'no browser may write cross-origin')
      const preflightRead = await fetch(`${api}/mempool`, { method: 'OPTIONS', headers: { origin: 'http://example.test', 'access-control-request-method': 'GET' } })
      assert.equal(preflightRead.status, 204)
      assert.equal(preflightRead.headers.get('access-control-allow-origin'), '*')
      assert.equal((await fetch(`${api}/stats`)).headers.get('access-control-allow-origin'), '*')
    })

    it('answers 405 with Allow, HEAD without a body, and 400 for every malformed input', async () => {
      const del = await fetch(`${api}/mempool`, { method: 'DELETE' })
      assert.equal(del.status, 405)
      assert.equal(del.headers.get('allow'), 'GET, HEAD, OPTIONS')
      const getTx = await fetch(`${api}/tx`)
      assert.equal(getTx.status, 405)
      assert.equal(getTx.headers.get('allow'), 'POST, OPTIONS')
      const head = await fetch(`${api}/stats`, { method: 'HEAD' })
      assert.equal(head.status, 200)
      assert.equal(await head.text(), '')
      assert.ok(Number(head.headers.get('content-length')) > 0)
      for (const path of ['/nonce/abc', '/trace/zz', '/mempool?limit=-1', '/mempool?limit=0', '/mempool?limit=10001', '/mempool?limit=1.5', '/mempool?colour=red', '/stats?limit=x', '/peers?x=1']) {
        const res = await fetch(`${api}${path}`)
        assert.equal(res.status, 400, path)
        assert.equal(typeof (await res.json()).error, 'string', path)
      }
      assert.equal((await fetch(`${api}/mempool?limit=1`)).status, 200)
      assert.equal((await fetch(`${api}/nonce/${RECIPIENT}`)).status, 200)
      assert.equal((await fetch(`${api}/nope`)).status, 404)
    })

    it('serves Prometheus metrics: the relay\'s, libp2p\'s and the process defaults, each with help text', async () => {
      const res = await fetch(`${api}/metrics`)
      assert.match(res.headers.get('content-type') ?? '', /^text\/plain/)
      const text = await res.text()
      for (const name of ['hearsay_relay_mempool_transactions', 'hearsay_relay_transactions_submitted_total', 'hearsay_relay_transactions_accepted_total',
        'hearsay_relay_gossip_sent_bytes_total', 'process_cpu_user_seconds_total', 'nodejs_heap_size_used_bytes']) {
        assert.match(text, new RegExp(`^# HELP ${name} \\S`, 'm'), name)
      }
      assert.match(text, /^hearsay_relay_transactions_accepted_total 1$/m)
      assert.match(text, /^# TYPE libp2p_/m, 'libp2p\'s own metrics')
      // counters end in _total; our help texts are sentences, not the metric's name again
      for (const [, name, type] of text.matchAll(/^# TYPE (hearsay_relay_\w+) (\w+)$/gm)) {
        if (type === 'counter') assert.match(name, /_total$/, name)
        assert.match(text, new RegExp(`^# HELP ${name} [A-Z][^\\n]*\\.$`, 'm'), `${name}: a sentence of help`)
      }
    })

    it('a second node on the same data directory fails with one line naming --data-dir', async () => {
      const r = await run(['node', '--api', '127.0.0.1:0', '--listen', '/ip4/127.0.0.1/tcp/0'], env)
      assert.equal(r.code, 1)
      assert.match(oneLine(r, 'second node'), /--data-dir/)
    })

    it('stops on SIGTERM and removes its cookie', async () => {
      await node.stop()
      assert.equal(existsSync(listening.cookie), false)
    })
  })

  it('reads the config file in its data directory, and flags override it', async () => {
    const dataDir = join(base, 'configured')
    await mkdir(dataDir)
    await writeFile(join(dataDir, 'hearsay-relay.json'), JSON.stringify({ relay: 'flood', minFee: 5, api: '127.0.0.1:0', listen: ['/ip4/127.0.0.1/tcp/0'], announce: ['/dns4/relay.example.org/tcp/7333'] }))
    const node = new JsonProcess('configured node', cli, ['node', '--json', '--data-dir', dataDir, '--relay', 'gossipsub'])
    procs.push(node)
    const listening = await node.waitFor(e => e.event === 'listening', 60_000)
    assert.equal(listening.relay, 'gossipsub', 'the flag beats the file')
    assert.notEqual(listening.api, 'http://127.0.0.1:7332', 'the file\'s api address')
    // what others can --bootstrap from: the announced address first, said to be unchecked
    assert.deepEqual(listening.bootstrap[0], { addr: `/dns4/relay.example.org/tcp/7333/p2p/${String(listening.peerId)}`, kind: 'announced' })
    assert.ok(listening.bootstrap.slice(1).every((a: any) => a.kind === 'local'), JSON.stringify(listening.bootstrap))
    const low = await run(['send', '--api', listening.api, '--cookie', listening.cookie, '--key', keyFile, '--to', RECIPIENT, '--amount', '1', '--fee', '4'])
    assert.equal(low.code, 1, 'the file\'s minFee refuses a fee of 4')
    assert.match(oneLine(low, 'low fee'), /fee/)
    const ok = await run(['send', '--json', '--api', listening.api, '--cookie', listening.cookie, '--key', keyFile, '--to', RECIPIENT, '--amount', '1', '--fee', '5'])
    assert.equal(ok.code, 0, ok.stderr)
    await node.stop()
  })

  it('devnet --json creates a new --data-dir and reports every node with its API and cookie', async () => {
    const dataDir = join(base, 'new', 'devnet')
    const devnet = new JsonProcess('devnet', cli, ['devnet', '--json', '--nodes', '2', '--relay', 'flood', '--data-dir', dataDir])
    procs.push(devnet)
    const started = await devnet.waitFor(e => e.event === 'devnet', 90_000)
    assert.equal(started.dataDir, dataDir)
    assert.equal(started.nodes.length, 2)
    for (const n of started.nodes) {
      assert.match(n.api, /^http:\/\/127\.10[01]\.0\.1:\d+$/)
      assert.ok(existsSync(n.cookie), n.cookie)
    }
    assert.ok(existsSync(join(dataDir, 'network.json')))
    await devnet.stop()
  })
})
