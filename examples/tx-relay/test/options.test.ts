import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { InvalidArgumentError } from 'commander'
import { Hex32, Queries, TxBody, check } from '../src/api-schemas.ts'
import { loadConfig } from '../src/config.ts'
import { authorized } from '../src/cookie.ts'
import { bootstrapAddr, hostPort, httpUrl, ipAddress, listenAddr, u64 } from '../src/options.ts'
import { UsageError } from '../src/output.ts'

const PEER = '12D3KooWRugwo2GUuZTDdQDEdrjP8o92rPYVQPX7dhyUS4wdWeDj'

describe('hearsay-relay flag parsers', () => {
  it('accept good values and refuse bad ones with InvalidArgumentError', () => {
    assert.deepEqual(hostPort('127.0.0.1:7332'), { host: '127.0.0.1', port: 7332 })
    assert.deepEqual(hostPort('[::1]:0'), { host: '::1', port: 0 })
    assert.equal(listenAddr('/ip6/::/tcp/7333'), '/ip6/::/tcp/7333')
    assert.equal(bootstrapAddr(`/ip4/127.0.0.1/tcp/7333/p2p/${PEER}`), `/ip4/127.0.0.1/tcp/7333/p2p/${PEER}`)
    assert.equal(httpUrl('http://127.0.0.1:7332/'), 'http://127.0.0.1:7332')
    assert.equal(u64('18446744073709551615'), 2n ** 64n - 1n)
    const bad: Array<[(v: string) => unknown, string]> = [
      [hostPort, '127.0.0.1:99999'], [hostPort, '127.0.0.1'], [hostPort, '[nope]:1'],
      [listenAddr, '/ip4/127.0.0.1/udp/0'], [listenAddr, '/ip4/1.2.3'], [listenAddr, '/ip4/127.0.0.1/tcp/1/p2p/' + PEER],
      [bootstrapAddr, '/ip4/127.0.0.1/tcp/1'], [bootstrapAddr, '/ip4/127.0.0.1/tcp/1/p2p/xyz'],
      [ipAddress, '999.0.0.1'], [httpUrl, 'notaurl'], [httpUrl, 'ftp://x'], [u64, '-1'], [u64, '18446744073709551616']
    ]
    for (const [parse, value] of bad) assert.throws(() => parse(value), InvalidArgumentError, value)
  })
})

describe('hearsay-relay config file', () => {
  let dir: string
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'hearsay-relay-config-')) })
  after(async () => { await rm(dir, { recursive: true, force: true }) })

  it('parses every key through its flag\'s parser', async () => {
    const file = join(dir, 'ok.json')
    await writeFile(file, JSON.stringify({ listen: '/ip4/0.0.0.0/tcp/7333', bootstrap: [`/ip4/127.0.0.1/tcp/7333/p2p/${PEER}`], relay: 'flood', api: '127.0.0.1:0', minFee: '3', dialFrom: '127.0.0.1' }))
    assert.deepEqual(await loadConfig(file, true), {
      listen: ['/ip4/0.0.0.0/tcp/7333'], bootstrap: [`/ip4/127.0.0.1/tcp/7333/p2p/${PEER}`], relay: 'flood', api: { host: '127.0.0.1', port: 0 }, minFee: 3n, dialFrom: '127.0.0.1'
    })
  })

  it('a missing default file is an empty config; a named one must exist', async () => {
    assert.deepEqual(await loadConfig(join(dir, 'absent.json'), false), {})
    await assert.rejects(loadConfig(join(dir, 'absent.json'), true), (err: any) => err instanceof UsageError && /--config/.test(err.message))
  })

  it('names the file and key of a bad value, an unknown key or broken JSON', async () => {
    const cases: Array<[string, RegExp]> = [
      ['{"relay": "pigeon"}', /"relay": expected one of/],
      ['{"api": "127.0.0.1:99999"}', /"api": expected host:port/],
      ['{"minFee": -1}', /"minFee"/],
      ['{"port": 7333}', /"port": unknown key/],
      ['{"listen": 7333}', /"listen"/],
      ['{"relay": ', /not JSON/]
    ]
    for (const [text, expected] of cases) {
      const file = join(dir, 'bad.json')
      await writeFile(file, text)
      await assert.rejects(loadConfig(file, false), (err: any) => err instanceof UsageError && err.message.startsWith(file) && expected.test(err.message), text)
    }
  })
})

describe('hearsay-relay API inputs', () => {
  it('check() passes good input through its schema and names the bad part', () => {
    assert.deepEqual(check(Queries.mempool, {}, 'query'), { ok: true, value: { limit: 1000 } })
    assert.deepEqual(check(Queries.mempool, { limit: '5' }, 'query'), { ok: true, value: { limit: 5 } })
    for (const limit of ['-1', '0', '10001', '1.5', 'x', '']) assert.equal(check(Queries.mempool, { limit }, 'query').ok, false, limit)
    assert.deepEqual(check(Queries.none, { x: '1' }, 'query'), { ok: false, error: 'query x: not allowed' })
    assert.deepEqual(check(Hex32, 'AB'.repeat(32), 'id'), { ok: true, value: 'ab'.repeat(32) })
    assert.equal(check(Hex32, 'abc', 'id').ok, false)
    const tx = { from: 'ab'.repeat(32), to: 'cd'.repeat(32), amount: 1, fee: '2', nonce: 0, signature: 'ef'.repeat(64) }
    assert.deepEqual(check(TxBody, tx, 'body'), { ok: true, value: { ...tx, amount: 1n, fee: 2n, nonce: 0n } })
    assert.deepEqual(check(TxBody, { ...tx, fee: undefined }, 'body').ok, false)
    assert.deepEqual(check(TxBody, { ...tx, colour: 'red' }, 'body'), { ok: false, error: 'body colour: not allowed' })
    assert.equal(check(TxBody, { ...tx, amount: '18446744073709551616' }, 'body').ok, false)
    assert.equal(check(TxBody, { ...tx, amount: -1 }, 'body').ok, false)
  })

  it('authorized() takes only "Bearer <the token>"', () => {
    const token = 'ab'.repeat(32)
    assert.equal(authorized(`Bearer ${token}`, token), true)
    assert.equal(authorized(`bearer ${token}`, token), true)
    for (const header of [undefined, '', token, `Bearer ${'00'.repeat(32)}`, `Bearer ${token}x`, `Basic ${token}`]) assert.equal(authorized(header, token), false, String(header))
  })
})
