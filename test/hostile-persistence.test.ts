import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createHost, type Host } from '@hearsay/host'
import { GOSSIP_PROTOCOL } from '@hearsay/gossip'
import { multiaddr } from '@multiformats/multiaddr'
import { publicKeyHex, signTx, txToJson } from '../examples/tx-relay/src/tx.ts'
import { JsonProcess } from '../examples/demo/src/process.ts'
import { at, seededBytes } from './helpers/hostile-targets.ts'
import { waitFor } from './helpers/wait.ts'

const nodeScript = fileURLToPath(new URL('./helpers/persistent-node.ts', import.meta.url))
const relayCli = fileURLToPath(new URL('../examples/tx-relay/src/cli.ts', import.meta.url))

describe('restart persistence: what a node learned survives kill -9', function () {
  this.timeout(120_000)
  const hosts: Host[] = []
  const children: JsonProcess[] = []
  const dirs: string[] = []
  afterEach(async () => {
    await Promise.all(children.splice(0).map(async c => { await c.killHard() }))
    await Promise.all(hosts.splice(0).map(async h => { await h.stop() }))
    await Promise.all(dirs.splice(0).map(async d => { await rm(d, { recursive: true, force: true }) }))
  })

  async function tempDir (): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'hearsay-hostile-'))
    dirs.push(dir)
    return dir
  }

  function child (script: string, args: string[]): JsonProcess {
    const c = new JsonProcess(`child ${children.length}`, script, args)
    children.push(c)
    return c
  }

  it('identity, bans, address-book anchors and verified pieces', async () => {
    const dir = await tempDir()
    const data = seededBytes(2 * 1024 * 1024, 'persist')
    const seeders = await Promise.all([171, 172].map(async n => {
      const h = await createHost(at(`127.${n}.0.1`))
      hosts.push(h)
      return h
    }))
    const id = await seeders[0].services.files.add(data, { name: 'persist.bin', provide: false })
    await seeders[1].services.files.add(data, { name: 'persist.bin', provide: false })
    const args = [dir, '127.174.0.1', ...seeders.map(s => s.getMultiaddrs()[0].toString())]
    let node = child(nodeScript, args)
    const first = await node.waitFor(e => e.event === 'listening', 20_000)

    // anchors: at its outbound target (2), then a few dial rounds (200 ms each) to save them
    let state: any
    await waitFor(async () => {
      const from = node.events.length
      node.send({ cmd: 'state' })
      state = await node.waitFor(e => e.event === 'state', 5000, from)
      return state.outbound.length >= 2
    }, { what: 'the node at its outbound target', timeoutMs: 20_000 })
    const outboundBefore = new Set<string>(state.outbound)

    // a ban, earned: two oversized gossip frames (50 points each)
    const attacker = await createHost({ ...at('127.175.0.1'), discovery: false })
    hosts.push(attacker)
    await attacker.dial(multiaddr(first.addrs[0]))
    for (let i = 0; i < 2; i++) {
      const stream = await attacker.dialProtocol(multiaddr(first.addrs[0]), GOSSIP_PROTOCOL).catch(() => undefined)
      try {
        stream?.send(Uint8Array.from([0x80, 0x80, 0x80, 0x80, 0x08]))
      } catch {
        // the target was already closing this stream, which throws here; the ban below still has to come
      }
    }
    await node.waitFor(e => e.event === 'banned' && e.peer === attacker.peerId.toString(), 20_000)

    // verified pieces: a whole download
    node.send({ cmd: 'get', id })
    const got = await node.waitFor(e => e.event === 'got' || e.event === 'get-failed', 30_000)
    assert.equal(got.event, 'got', JSON.stringify(got))
    // anchors are saved on each dial round: let a few pass (the node cannot say when it wrote them)
    await new Promise(resolve => setTimeout(resolve, 1000))

    await node.killHard()
    node = child(nodeScript, args)
    const after = await node.waitFor(e => e.event === 'listening', 20_000)
    assert.equal(after.peerId, first.peerId, 'the same identity')
    assert.ok(after.bans.includes(attacker.peerId.toString()), 'the ban survived')
    // anchors are read just after start
    let anchors: string[] = []
    await waitFor(async () => {
      const from = node.events.length
      node.send({ cmd: 'state' })
      anchors = (await node.waitFor(e => e.event === 'state', 5000, from)).anchors
      return anchors.length === 2
    }, { what: 'two anchors loaded', timeoutMs: 10_000 })
    for (const anchor of anchors) assert.ok(outboundBefore.has(anchor), 'an anchor was an outbound peer before the kill')
    assert.deepEqual(after.files, [{ id, complete: true, piecesHave: got.pieces }], 'every verified piece survived')
    // and the ban is enforced: the attacker is refused
    await attacker.dial(multiaddr(after.addrs[0])).catch(() => {})
    await waitFor(() => attacker.getConnections().every(c => c.remotePeer.toString() !== after.peerId), { what: 'the banned attacker refused', timeoutMs: 3000 })
  })

  it('the relay\'s mempool (hearsay-relay node, killed right after the API accepted the transactions)', async () => {
    const dir = await tempDir()
    const args = ['node', '--json', '--listen', '/ip4/127.176.0.1/tcp/0', '--dial-from', '127.176.0.1', '--data-dir', dir, '--relay', 'flood', '--api', '127.176.0.1:0']
    let relay = child(relayCli, args)
    const first = await relay.waitFor(e => e.event === 'listening', 30_000)
    const key = generateKeyPairSync('ed25519').privateKey
    const ids: string[] = []
    const token = (await readFile(first.cookie, 'utf8')).trim()
    for (let nonce = 0; nonce < 10; nonce++) {
      const tx = signTx({ from: publicKeyHex(key), to: 'ab'.repeat(32), amount: 3n, fee: 7n, nonce: BigInt(nonce) }, key)
      const res = await fetch(`${first.api}/tx`, { method: 'POST', body: JSON.stringify(txToJson(tx)), headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` } })
      assert.equal(res.status, 202)
      ids.push((await res.json()).id)
    }
    await relay.killHard()
    relay = child(relayCli, args)
    const after = await relay.waitFor(e => e.event === 'listening', 30_000)
    assert.equal(after.peerId, first.peerId, 'the same identity')
    const mempool = await (await fetch(`${after.api}/mempool?limit=100`)).json()
    assert.equal(mempool.count, 10, 'every accepted transaction survived the kill')
  })
})
