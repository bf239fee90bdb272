/**
 * hearsay-share end to end: the real program as separate processes on loopback, driven through
 * its --json events (never the progress bar) and its exit codes.
 */
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { createServer, type Server } from 'node:net'
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { JsonProcess, type ChildEvent } from '../examples/demo/src/process.ts'

const cli = fileURLToPath(new URL('../examples/file-share/src/cli.ts', import.meta.url))
const FILE_SIZE = 8 * 1024 * 1024
const STEP_MS = 30_000

/** Process i listens on, and dials from, 127.0.190.<i>: its own source address. */
function on (i: number): string[] {
  return ['--listen', `/ip4/127.0.190.${i}/tcp/0`, '--dial-from', `127.0.190.${i}`]
}

interface Run {
  code: number | null
  events: ChildEvent[]
  stderr: string
}

/** Run the CLI to its end. */
async function run (args: string[], timeoutMs = STEP_MS): Promise<Run> {
  const proc = new JsonProcess(`hearsay-share ${args[0]}`, cli, args)
  try {
    const code = await proc.exitCode(timeoutMs)
    return { code, events: proc.events, stderr: proc.stderr }
  } finally {
    await proc.stop()
  }
}

function sha256 (bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

describe('hearsay-share (separate processes on loopback)', function () {
  this.timeout(120_000)
  let dir: string
  let content: Uint8Array
  let name: string
  let index: JsonProcess
  let indexAddr: string
  const seeders: JsonProcess[] = []
  let bootstrap: string
  let fileId: string

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hearsay-share-test-'))
    content = randomBytes(FILE_SIZE)
    name = 'hearsay-quarterly-report.bin'
    await mkdir(join(dir, 'shared'))
    await writeFile(join(dir, 'shared', name), content)

    index = new JsonProcess('index', cli, ['index', ...on(1), '--data-dir', join(dir, 'index'), '--json'])
    indexAddr = (await index.waitFor(e => e.event === 'listening', STEP_MS)).addrs[0]

    // two seeders of the same file, each capped at 3 MB/s so that the download needs both
    for (const i of [0, 1]) {
      const args = ['seed', join(dir, 'shared'), ...on(10 + i), '--data-dir', join(dir, `seeder-${i}`), '--index', indexAddr, '--max-upload', '3MB', '--json']
      if (i > 0) args.push('--bootstrap', bootstrap)
      const seeder = new JsonProcess(`seeder ${i}`, cli, args)
      seeders.push(seeder)
      const listening = await seeder.waitFor(e => e.event === 'listening', STEP_MS)
      if (i === 0) bootstrap = listening.addrs[0]
      const added = await seeder.waitFor(e => e.event === 'added', STEP_MS)
      assert.equal(added.name, name)
      assert.equal(added.size, FILE_SIZE)
      fileId ??= added.id
      assert.equal(added.id, fileId, 'the same bytes give the same id on every seeder')
      await seeder.waitFor(e => e.event === 'seeding', STEP_MS)
    }
  })

  after(async () => {
    await Promise.all([index, ...seeders].filter(p => p != null).map(async p => { await p.stop() }))
    if (dir != null) await rm(dir, { recursive: true, force: true })
  })

  it('get on a third process writes a byte-identical file, with pieces from both seeders', async () => {
    const out = join(dir, 'downloads')
    await mkdir(out)
    const { code, events, stderr } = await run(['get', fileId, '--out', out, ...on(20), '--data-dir', join(dir, 'getter'), '--bootstrap', bootstrap, '--json'])
    assert.equal(code, 0, stderr)
    const done = events.find(e => e.event === 'done')
    assert.ok(done != null, 'a done event')
    assert.equal(done.path, join(out, name))
    const written = await readFile(done.path)
    assert.equal(written.byteLength, FILE_SIZE)
    assert.equal(sha256(written), sha256(content))
    assert.equal(done.sha256, sha256(content))
    assert.equal(done.piecesFetched, done.pieces)
    const fromPeers = Object.values(done.fromPeers as Record<string, number>)
    assert.equal(fromPeers.length, 2, `pieces came from ${fromPeers.length} peer(s)`)
    assert.equal(fromPeers.reduce((a, b) => a + b, 0), FILE_SIZE)
    const progress = events.filter(e => e.event === 'progress')
    assert.ok(progress.length > 0, 'progress events')
    assert.equal(progress.at(-1)?.bytesDone, FILE_SIZE)
  })

  for (const via of ['dht', 'flood', 'central']) {
    it(`search finds the file by a word of its name via ${via}`, async () => {
      const i = 30 + ['dht', 'flood', 'central'].indexOf(via)
      const args = ['search', 'quarterly', '--via', via, ...on(i), '--data-dir', join(dir, `search-${via}`), '--bootstrap', bootstrap, '--json']
      if (via === 'central') args.push('--index', indexAddr)
      if (via === 'flood') args.push('--timeout', '2')
      const { code, events, stderr } = await run(args)
      assert.equal(code, 0, stderr)
      const results = events.filter(e => e.event === 'result')
      const hit = results.find(r => r.id === fileId)
      assert.ok(hit != null, `results: ${JSON.stringify(results)}`)
      assert.equal(hit.name, name)
      assert.equal(hit.size, FILE_SIZE)
      assert.ok(hit.providers >= 1)
      assert.equal(events.find(e => e.event === 'done')?.results, results.length)
    })
  }

  it('an interrupted get resumes: the second run fetches only the missing pieces', async () => {
    const dataDir = join(dir, 'resumer')
    const out = join(dir, 'resumed.bin')
    const args = ['get', fileId, '--out', out, ...on(40), '--data-dir', dataDir, '--bootstrap', bootstrap, '--json']
    const first = new JsonProcess('get (to interrupt)', cli, args)
    try {
      await first.waitFor(e => e.event === 'progress' && e.piecesDone >= 4, STEP_MS)
      first.kill('SIGINT')
      assert.equal(await first.exitCode(STEP_MS), 130)
    } finally {
      await first.stop()
    }
    const interrupted = first.events.find(e => e.event === 'interrupted')
    assert.ok(interrupted != null, 'an interrupted event')
    assert.ok(interrupted.piecesHave >= 4 && interrupted.piecesHave < interrupted.pieces, JSON.stringify(interrupted))
    await assert.rejects(readFile(out), { code: 'ENOENT' }, 'nothing is written before the file is complete')

    const second = await run(args)
    assert.equal(second.code, 0, second.stderr)
    const resume = second.events.find(e => e.event === 'resume')
    assert.ok(resume != null && resume.piecesHave >= interrupted.piecesHave, JSON.stringify(resume))
    const done = second.events.find(e => e.event === 'done')
    assert.ok(done != null, 'a done event')
    assert.equal(done.piecesFetched, done.pieces - resume.piecesHave)
    assert.equal(sha256(await readFile(out)), sha256(content))
  })

  it('errors: one clear line on stderr, exit 2 for usage and 1 for failures', async () => {
    const usage = [
      [['frobnicate'], /unknown command/],
      [['get'], /missing required argument/],
      [['get', 'not-an-id', '--data-dir', join(dir, 'e1')], /not a hearsay file id/],
      [['get', fileId, '--bootstrap', '/ip4/127.0.0/tcp', '--data-dir', join(dir, 'e2')], /not a multiaddr/],
      [['get', fileId, '--bootstrap', '/ip4/127.0.190.10/tcp/1', '--data-dir', join(dir, 'e3')], /\/p2p\//],
      [['search', 'x', '--via', 'carrier-pigeon', '--data-dir', join(dir, 'e4')], /invalid/],
      [['search', 'x', '--via', 'central', '--data-dir', join(dir, 'e5')], /--index/],
      [['get', fileId, '--timeout', 'soon'], /positive number/]
    ] as const
    // usage errors stop before any networking: run them side by side
    const runs = await Promise.all(usage.map(async ([args]) => await run([...args])))
    for (const [i, [args, message]] of usage.entries()) {
      const { code, stderr } = runs[i]
      assert.equal(code, 2, `${args.join(' ')}: exit ${code}, ${stderr}`)
      assert.match(stderr, message, args.join(' '))
      assert.equal(stderr.trim().split('\n').length, 1, `one line: ${stderr}`)
    }

    // an id nobody has: not found within --timeout
    const unknown = 'bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bdu3f3bf2xbhh2ky'
    const missing = await run(['get', unknown, ...on(50), '--data-dir', join(dir, 'e6'), '--bootstrap', bootstrap, '--timeout', '2', '--json'])
    assert.equal(missing.code, 1)
    assert.match(missing.stderr, /no peer sent .* within 2 s \(--timeout\)/)
    assert.equal(missing.events.find(e => e.event === 'error')?.code, 1)

    // an unreadable path is the user's to fix: a usage error
    const secret = join(dir, 'secret.txt')
    await writeFile(secret, 'x')
    await chmod(secret, 0)
    for (const path of [join(dir, 'no-such-file'), ...(process.getuid?.() === 0 ? [] : [secret])]) {
      const unreadable = await run(['seed', path, '--data-dir', join(dir, 'e7')])
      assert.equal(unreadable.code, 2)
      assert.match(unreadable.stderr, /cannot read/)
    }

    // a port in use
    const server: Server = createServer()
    await new Promise<void>(resolve => server.listen(0, '127.0.190.51', resolve))
    try {
      const port = (server.address() as { port: number }).port
      const busy = await run(['seed', join(dir, 'shared'), '--listen', `/ip4/127.0.190.51/tcp/${port}`, '--data-dir', join(dir, 'e8')])
      assert.equal(busy.code, 1)
      assert.match(busy.stderr, /address already in use/)
    } finally {
      server.close()
    }
  })
})
