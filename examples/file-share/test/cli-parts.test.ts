import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import { InvalidArgumentError } from 'commander'
import { defaultDataDir } from '../src/data-dir.ts'
import { checkOverwrite, filesToSeed, outputTarget, safeFileName, sha256File, targetPath } from '../src/files-on-disk.ts'
import { byteRate, ipAddress, listenAddr, MAX_SECONDS, peerAddr, positiveInteger, seconds } from '../src/options.ts'
import { count, formatBytes, Output, shortPeer, UsageError } from '../src/output.ts'
import { progressView } from '../src/progress.ts'
import type { GetProgress } from '@hearsay/file-index'

describe('hearsay-share: option values', () => {
  it('peers to dial are TCP addresses naming a valid peer id; repeats accumulate', () => {
    const peer = '/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWDMX7oJ6nvuiC89Vswqt7Y6HzQHqrkT77aZTb5vXARgzL'
    assert.deepEqual(peerAddr(peer, ['/ip4/127.0.0.2/tcp/1/p2p/x']), ['/ip4/127.0.0.2/tcp/1/p2p/x', peer])
    assert.throws(() => peerAddr('/ip4/300.0.0.1/tcp/1'), InvalidArgumentError)
    assert.throws(() => peerAddr('localhost:4001'), /not a multiaddr/)
    assert.throws(() => peerAddr('/ip4/127.0.0.1/tcp/4001'), /\/p2p\//)
    assert.throws(() => peerAddr('/ip4/127.0.0.1/tcp/4001/p2p/xyz'), /not a peer id/)
    assert.throws(() => peerAddr(peer.replace('tcp', 'udp')), /TCP only/)
  })

  it('listen addresses are /ip4 or /ip6 with a TCP port, nothing else', () => {
    assert.deepEqual(listenAddr('/ip4/0.0.0.0/tcp/0'), ['/ip4/0.0.0.0/tcp/0'])
    assert.deepEqual(listenAddr('/ip6/::1/tcp/4001'), ['/ip6/::1/tcp/4001'])
    for (const bad of ['/ip4/127.0.0.1/udp/0', '/ip4/127.0.0.1', '/ip4/127.0.0.1/tcp/1/p2p/12D3KooWDMX7oJ6nvuiC89Vswqt7Y6HzQHqrkT77aZTb5vXARgzL', '/ip4/1.2.3.4/tcp/70000', '4001']) {
      assert.throws(() => listenAddr(bad), InvalidArgumentError, bad)
    }
  })

  it('--dial-from takes an IP address', () => {
    assert.equal(ipAddress('127.0.0.2'), '127.0.0.2')
    assert.equal(ipAddress('::1'), '::1')
    for (const bad of ['999.1.1.1', 'localhost', '', '127.0.0.1:80']) assert.throws(() => ipAddress(bad), InvalidArgumentError, bad)
  })

  it('rates take SI and binary units, and nothing else', () => {
    assert.equal(byteRate('500kB'), 500_000)
    assert.equal(byteRate('4MB'), 4_000_000)
    assert.equal(byteRate('1.5MiB'), 1_572_864)
    assert.equal(byteRate('2048'), 2048)
    for (const bad of ['', 'fast', '-1MB', '0', '3 parsecs', '1e9']) assert.throws(() => byteRate(bad), InvalidArgumentError, bad)
  })

  it('numbers must be positive, plain decimal, and fit a timer', () => {
    assert.equal(seconds('2.5'), 2.5)
    assert.equal(seconds(String(MAX_SECONDS)), MAX_SECONDS)
    assert.equal(positiveInteger('10'), 10)
    for (const bad of ['0', '-3', 'soon', 'Infinity', '', '0x10', '1e3', String(MAX_SECONDS + 1)]) assert.throws(() => seconds(bad), InvalidArgumentError, bad)
    for (const bad of ['0', '1.5', '-2', 'ten', '99999999999999999999']) assert.throws(() => positiveInteger(bad), InvalidArgumentError, bad)
  })
})

describe('hearsay-share: files on disk', () => {
  let dir: string
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'hearsay-share-unit-')) })
  afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

  it('a name from the network cannot leave the output directory', () => {
    assert.equal(safeFileName('holiday.mp4', 'id'), 'holiday.mp4')
    assert.equal(safeFileName('../../.bashrc', 'id'), '.bashrc')
    assert.equal(safeFileName('C:\\Windows\\evil.dll', 'id'), 'evil.dll')
    assert.equal(safeFileName('dir/..', 'id'), 'id')
    assert.equal(safeFileName('', 'id'), 'id')
    assert.equal(safeFileName('a\u0000b\nc', 'id'), 'abc')
    assert.equal(Buffer.byteLength(safeFileName('é'.repeat(300), 'id')) <= 255, true)
  })

  it('--out is a file, a directory to put <name> in (one ending in / may be missing), ./<name> without it', async () => {
    await mkdir(join(dir, 'existing'))
    assert.deepEqual(await outputTarget(undefined, dir), { dir })
    assert.deepEqual(await outputTarget('existing', dir), { dir: join(dir, 'existing') })
    assert.deepEqual(await outputTarget('b.bin', dir), { dir, file: join(dir, 'b.bin') })
    assert.deepEqual(await outputTarget('new/deeper/', dir), { dir: join(dir, 'new', 'deeper') })
    assert.equal(targetPath({ dir }, '../x', 'id'), join(dir, 'x'))
    assert.equal(targetPath({ dir, file: join(dir, 'b.bin') }, 'a.bin', 'id'), join(dir, 'b.bin'))
    await assert.rejects(outputTarget('missing/b.bin', dir), (err: Error) => err instanceof UsageError && /--out: no such directory/.test(err.message))
    await writeFile(join(dir, 'file'), 'x')
    await assert.rejects(outputTarget('file/', dir), /--out: file\/ is not a directory/)
    await assert.rejects(outputTarget('file/sub/', dir), /--out: .*file is not a directory/)
  })

  it('an existing file is replaced only with --force, a directory never', async () => {
    await checkOverwrite(join(dir, 'absent'), false)
    await writeFile(join(dir, 'there'), 'x')
    await assert.rejects(checkOverwrite(join(dir, 'there'), false), (err: Error) => err instanceof UsageError && /exists: add --force/.test(err.message))
    await checkOverwrite(join(dir, 'there'), true)
    await assert.rejects(checkOverwrite(dir, true), /is a directory/)
  })

  it('seeding walks directories in name order, follows links to files only, and names unreadable paths', async () => {
    await mkdir(join(dir, 'a', 'nested'), { recursive: true })
    await writeFile(join(dir, 'a', 'z.txt'), 'z')
    await writeFile(join(dir, 'a', 'nested', 'y.txt'), 'y')
    await writeFile(join(dir, 'top.txt'), 't')
    await symlink(join(dir, 'top.txt'), join(dir, 'a', 'link-to-file'))
    await symlink(dir, join(dir, 'a', 'loop'))   // a directory link: not followed, so no loop
    assert.deepEqual(await filesToSeed([join(dir, 'a'), join(dir, 'top.txt')]), [
      join(dir, 'a', 'link-to-file'), join(dir, 'a', 'nested', 'y.txt'), join(dir, 'a', 'z.txt'), join(dir, 'top.txt')
    ])
    await assert.rejects(filesToSeed([join(dir, 'missing')]), (err: Error) => err instanceof UsageError && /cannot read .*missing: no such file or directory/.test(err.message))
  })

  it('hashes a file as sha256sum does', async () => {
    await writeFile(join(dir, 'abc'), 'abc')
    assert.equal(await sha256File(join(dir, 'abc')), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
  })
})

describe('hearsay-share: output and data dir', () => {
  it('formats sizes, counts and peers for people', () => {
    assert.equal(formatBytes(999), '999 B')
    assert.equal(formatBytes(307.6923076923077), '308 B')
    assert.equal(count(1, 'piece'), '1 piece')
    assert.equal(count(0, 'peer'), '0 peers')
    assert.equal(count(2, 'file'), '2 files')
    assert.equal(formatBytes(1_536_000), '1.54 MB')
    assert.equal(formatBytes(33_554_432), '33.6 MB')
    assert.equal(shortPeer('12D3KooWDMX7oJ6nvuiC89Vswqt7Y6HzQHqrkT77aZTb5vXARgzL'), '12D3KooW…RgzL')
  })

  it('the data dir is the platform\'s place for application data (env-paths), and HEARSAY_SHARE_HOME wins', () => {
    assert.equal(defaultDataDir({ HEARSAY_SHARE_HOME: '/srv/share' }), '/srv/share')
    assert.match(defaultDataDir({}), /[\\/]hearsay-share([\\/]Data)?$/)
    if (process.platform === 'linux' && process.env.XDG_DATA_HOME == null) assert.equal(defaultDataDir({}), join(homedir(), '.local', 'share', 'hearsay-share'))
  })
})

describe('hearsay-share: progress lines', () => {
  /** What `run` wrote on stdout. */
  function stdoutOf (run: () => void): string[] {
    const lines: string[] = []
    // an own property over the stream's prototype method, deleted afterwards
    Object.defineProperty(process.stdout, 'write', {
      configurable: true,
      value: (chunk: string) => { lines.push(...chunk.split('\n').filter(l => l !== '')); return true }
    })
    try {
      run()
    } finally {
      Reflect.deleteProperty(process.stdout, 'write')
    }
    return lines
  }
  const at = (piecesDone: number): GetProgress => ({ id: 'f', piecesDone, pieces: 4, bytesDone: piecesDone * 1000, bytes: 4000, rate: 307.6923076923077, peers: 1 })

  it('off a terminal: throttled, rounded, singular; the complete state and the last state once', () => {
    const lines = stdoutOf(() => {
      const view = progressView(new Output(false), false)
      view.update(at(1))
      view.update(at(2)) // within the throttle: held back
      view.stop()
      view.stop()
    })
    assert.deepEqual(lines, ['25.0%  1 kB of 4 kB  308 B/s  1 peer', '50.0%  2 kB of 4 kB  308 B/s  1 peer'])
    const done = stdoutOf(() => {
      const view = progressView(new Output(false), false)
      view.update(at(4))
      view.update(at(4)) // a download may report completion twice
      view.stop()
    })
    assert.deepEqual(done, ['100.0%  4 kB of 4 kB  308 B/s  1 peer'])
  })

  it('--quiet shows no progress; --json rounds the rate', () => {
    assert.deepEqual(stdoutOf(() => { const v = progressView(new Output(false, 'quiet'), false); v.update(at(4)); v.stop() }), [])
    const [line] = stdoutOf(() => { const v = progressView(new Output(true), false); v.update(at(4)); v.stop() })
    assert.equal(JSON.parse(line).rate, 308)
  })
})
