import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { InvalidArgumentError } from 'commander'
import { defaultDataDir } from '../src/data-dir.ts'
import { filesToSeed, outputPath, safeFileName, sha256File } from '../src/files-on-disk.ts'
import { byteRate, multiaddrOption, positiveInteger, positiveNumber } from '../src/options.ts'
import { formatBytes, shortPeer } from '../src/output.ts'

describe('hearsay-share: option values', () => {
  it('multiaddrs are validated, peers to dial must name their id, repeats accumulate', () => {
    const peer = '/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWDMX7oJ6nvuiC89Vswqt7Y6HzQHqrkT77aZTb5vXARgzL'
    assert.deepEqual(multiaddrOption(true)(peer, ['/ip4/127.0.0.2/tcp/1/p2p/x']), ['/ip4/127.0.0.2/tcp/1/p2p/x', peer])
    assert.deepEqual(multiaddrOption(false)('/ip4/0.0.0.0/tcp/0'), ['/ip4/0.0.0.0/tcp/0'])
    assert.throws(() => multiaddrOption(false)('/ip4/300.0.0.1/tcp/1'), InvalidArgumentError)
    assert.throws(() => multiaddrOption(false)('localhost:4001'), /not a multiaddr/)
    assert.throws(() => multiaddrOption(true)('/ip4/127.0.0.1/tcp/4001'), /\/p2p\//)
  })

  it('rates take SI and binary units, and nothing else', () => {
    assert.equal(byteRate('500kB'), 500_000)
    assert.equal(byteRate('4MB'), 4_000_000)
    assert.equal(byteRate('1.5MiB'), 1_572_864)
    assert.equal(byteRate('2048'), 2048)
    for (const bad of ['', 'fast', '-1MB', '0', '3 parsecs', '1e9']) assert.throws(() => byteRate(bad), InvalidArgumentError, bad)
  })

  it('numbers must be positive', () => {
    assert.equal(positiveNumber('2.5'), 2.5)
    assert.equal(positiveInteger('10'), 10)
    for (const bad of ['0', '-3', 'soon', 'Infinity']) assert.throws(() => positiveNumber(bad), InvalidArgumentError, bad)
    for (const bad of ['0', '1.5', '-2', 'ten']) assert.throws(() => positiveInteger(bad), InvalidArgumentError, bad)
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

  it('--out is a file, or a directory to put <name> in; ./<name> without it', async () => {
    assert.equal(await outputPath(dir, 'a.bin', 'id'), join(dir, 'a.bin'))
    assert.equal(await outputPath(join(dir, 'b.bin'), 'a.bin', 'id'), join(dir, 'b.bin'))
    assert.equal(await outputPath(undefined, '../x', 'id'), join(process.cwd(), 'x'))
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
    await assert.rejects(filesToSeed([join(dir, 'missing')]), /cannot read .*missing: ENOENT/)
  })

  it('hashes a file as sha256sum does', async () => {
    await writeFile(join(dir, 'abc'), 'abc')
    assert.equal(await sha256File(join(dir, 'abc')), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
  })
})

describe('hearsay-share: output and data dir', () => {
  it('formats sizes and peers for people', () => {
    assert.equal(formatBytes(999), '999 B')
    assert.equal(formatBytes(1_536_000), '1.54 MB')
    assert.equal(formatBytes(33_554_432), '33.6 MB')
    assert.equal(shortPeer('12D3KooWDMX7oJ6nvuiC89Vswqt7Y6HzQHqrkT77aZTb5vXARgzL'), '12D3KooW…RgzL')
  })

  it('the data dir follows each platform\'s convention, and HEARSAY_SHARE_HOME wins', () => {
    assert.equal(defaultDataDir({}, 'linux', '/home/u'), '/home/u/.local/share/hearsay-share')
    assert.equal(defaultDataDir({ XDG_DATA_HOME: '/data' }, 'linux', '/home/u'), '/data/hearsay-share')
    assert.equal(defaultDataDir({}, 'darwin', '/Users/u'), '/Users/u/Library/Application Support/hearsay-share')
    assert.equal(defaultDataDir({ HEARSAY_SHARE_HOME: '/srv/share' }, 'linux', '/home/u'), '/srv/share')
  })
})
