import assert from 'node:assert/strict'
import { generateKeyPairSync, type KeyObject } from 'node:crypto'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createHost, type Host } from '@hearsay/host'
import { flood } from '@hearsay/gossip'
import { multiaddr } from '@multiformats/multiaddr'
import { JsonProcess } from '../examples/demo/src/process.ts'
import { TX_TOPIC } from '../examples/tx-relay/src/relay.ts'
import { encodeTx, publicKeyHex, signTx, txToJson, type Tx } from '../examples/tx-relay/src/tx.ts'
import { waitFor } from './helpers/wait.ts'

const cli = fileURLToPath(new URL('../examples/tx-relay/src/cli.ts', import.meta.url))

interface Node {
  proc: JsonProcess
  api: string
  peerId: string
  addr: string
  dataDir: string
  /** The token of the node's API cookie, which writes need. */
  token: string
}

async function getJson (url: string): Promise<any> {
  const res = await fetch(url)
  return await res.json()
}

async function postTx (node: Node, tx: Tx | Record<string, unknown>): Promise<{ status: number, body: any }> {
  const body = 'signature' in tx && typeof tx.amount === 'bigint' ? txToJson(tx as Tx) : tx
  const res = await fetch(`${node.api}/tx`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', authorization: `Bearer ${node.token}` } })
  return { status: res.status, body: await res.json() }
}

describe('hearsay-relay end to end (real processes)', function () {
  this.timeout(480_000)
  const nodes: Node[] = []
  /** Every process started, listening or not, so that `after` stops them all even when a start failed. */
  const procs: JsonProcess[] = []
  const hosts: Host[] = []
  let base: string

  async function startNode (i: number, bootstrap?: string, dataDir?: string): Promise<Node> {
    const ip = `127.${140 + i}.0.1`
    const dir = dataDir ?? join(base, `node-${i}`)
    const proc = new JsonProcess(`relay #${i}`, cli, ['node', '--json', '--listen', `/ip4/${ip}/tcp/0`, '--dial-from', ip,
      '--data-dir', dir, '--api', `${ip}:0`, '--relay', 'dandelion', ...(bootstrap != null ? ['--bootstrap', bootstrap] : [])])
    procs.push(proc)
    const listening = await proc.waitFor(e => e.event === 'listening', 180_000)
    const token = (await readFile(listening.cookie, 'utf8')).trim()
    return { proc, api: listening.api, peerId: listening.peerId, addr: listening.addrs[0], dataDir: dir, token }
  }

  before(async () => {
    base = await mkdtemp(join(tmpdir(), 'hearsay-relay-e2e-'))
    nodes.push(await startNode(0))
    nodes.push(...await Promise.all(Array.from({ length: 9 }, async (_, i) => await startNode(i + 1, nodes[0].addr))))
    // joined: node 0 (the bootstrap node) gossips with all nine, so the network is connected;
    // how many more links discovery and the DHT add by then depends on the machine's load
    let peers: number[] = []
    await waitFor(async () => {
      const stats = await Promise.all(nodes.map(async n => await getJson(`${n.api}/stats?limit=1`)))
      peers = stats.map(s => s.gossip?.peers ?? 0)
      return peers[0] === nodes.length - 1 && peers.every(p => p >= 1)
    }, { what: 'every node gossiping, node 0 with all others', timeoutMs: 60_000 }).catch(err => {
      throw new Error(`${err.message}; gossip peers per node: ${peers.join(' ')}`)
    })
  })

  after(async () => {
    await Promise.all(hosts.map(async h => { await h.stop() }))
    await Promise.all(procs.map(async p => { await p.stop() }))
    await rm(base, { recursive: true, force: true })
  })

  const senders: KeyObject[] = Array.from({ length: 20 }, () => generateKeyPairSync('ed25519').privateKey)
  const recipient = 'ab'.repeat(32)
  const submitted: Array<{ id: string, at: number }> = []

  it('200 valid transactions submitted to random nodes reach every mempool', async () => {
    const txs = senders.flatMap(key => Array.from({ length: 10 }, (_, nonce) =>
      signTx({ from: publicKeyHex(key), to: recipient, amount: 5n, fee: BigInt(1 + nonce), nonce: BigInt(nonce) }, key)))
    for (let batch = 0; batch < txs.length; batch += 20) {
      const answers = await Promise.all(txs.slice(batch, batch + 20).map(async (tx, k) => await postTx(nodes[(batch + k * 7) % nodes.length], tx)))
      for (const answer of answers) {
        assert.equal(answer.status, 202, JSON.stringify(answer.body))
        submitted.push({ id: answer.body.id, at: (batch + 1) % nodes.length })
      }
    }
    await waitFor(async () => {
      const counts = await Promise.all(nodes.map(async n => (await getJson(`${n.api}/mempool?limit=1`)).count))
      return counts.every(c => c === 200)
    }, { what: '200 transactions in every mempool', timeoutMs: 60_000 })
  })

  it('refuses invalid transactions with 400 and a reason, and never relays them', async () => {
    const key = senders[0]
    const forged = { ...signTx({ from: publicKeyHex(key), to: recipient, amount: 1n, fee: 5n, nonce: 50n }, key), amount: 1000n }
    const badSignature = await postTx(nodes[2], forged)
    assert.equal(badSignature.status, 400)
    assert.match(badSignature.body.error, /signature/)
    const doubleSpend = await postTx(nodes[4], signTx({ from: publicKeyHex(key), to: recipient, amount: 9n, fee: 99n, nonce: 0n }, key))
    assert.equal(doubleSpend.status, 400)
    assert.match(doubleSpend.body.error, /already spent/)
    assert.equal((await postTx(nodes[1], { from: 'x' })).status, 400)
    // writes need the node's token: none, or another node's, is refused
    const unsigned = await fetch(`${nodes[1].api}/tx`, { method: 'POST', body: JSON.stringify(txToJson(forged)) })
    assert.equal(unsigned.status, 401)
    assert.equal((await postTx({ ...nodes[1], token: nodes[2].token }, forged)).status, 401)
    await new Promise(resolve => setTimeout(resolve, 1000))
    const counts = await Promise.all(nodes.map(async n => (await getJson(`${n.api}/mempool?limit=1`)).count))
    assert.deepEqual(counts, nodes.map(() => 200))
  })

  it('with Dandelion++, the first nodes to see a transaction are reached one at a time (stem) before the broadcast', async () => {
    let checked = 0
    for (const { id } of submitted.slice(0, 20)) {
      const traces: any[] = await Promise.all(nodes.map(async n => await fetch(`${n.api}/trace/${id}`).then(async r => r.status === 200 ? await r.json() : undefined)))
      const index = new Map(nodes.map((n, i) => [n.peerId, i]))
      const origin = traces.findIndex(t => t?.phase === 'local')
      assert.ok(origin >= 0, 'one node has it as submitted locally')
      const stems = traces.map((t, i) => ({ t, i })).filter(({ t }) => t?.phase === 'stem')
      // a stem is a path: no node passed this transaction's stem to two peers
      const senders = stems.map(({ t }) => index.get(t.from))
      assert.equal(new Set(senders).size, senders.length, `stem of ${id.slice(0, 8)} branched: ${JSON.stringify(senders)}`)
      // and each stem hop came from the origin or an earlier stem node
      for (const { t } of stems) {
        const from = index.get(t.from) as number
        assert.ok(from === origin || stems.some(s => s.i === from && s.t.at <= t.at), 'a stem hop from outside the stem')
      }
      // every node heard of it before... the stem nodes heard of it earliest
      const fluffs = traces.filter(t => t?.phase === 'fluff').map(t => t.at)
      if (stems.length > 0 && fluffs.length > 0) assert.ok(Math.min(...stems.map(s => s.t.at)) <= Math.min(...fluffs))
      checked++
    }
    assert.equal(checked, 20)
  })

  it('a peer that keeps relaying invalid transactions is banned', async () => {
    const attacker = await createHost({ listen: ['/ip4/127.150.0.1/tcp/0'], dialFrom: '127.150.0.1', discovery: false })
    hosts.push(attacker)
    attacker.services.gossip.subscribe(TX_TOPIC, { strategy: flood() })
    const target = nodes[3]
    await attacker.dial(multiaddr(target.addr))
    await waitFor(() => attacker.services.gossip.getSubscribers(TX_TOPIC).length === 1, { what: 'the target subscribed' })
    const key = generateKeyPairSync('ed25519').privateKey
    for (let i = 0; i < 6; i++) {
      const tx = { ...signTx({ from: publicKeyHex(key), to: recipient, amount: 1n, fee: 1n, nonce: BigInt(i) }, key), amount: 7n }
      await attacker.services.gossip.publish(TX_TOPIC, encodeTx(tx))
    }
    // the other nodes may dial the attacker (discovery learns its address): only the target's connections count
    const toTarget = (): number => attacker.getConnections().filter(c => c.remotePeer.toString() === target.peerId).length
    await waitFor(() => toTarget() === 0, { what: 'the target cut the attacker off' })
    const metrics = await (await fetch(`${target.api}/metrics`)).text()
    assert.match(metrics, /^hearsay_relay_transactions_rejected_total\{reason="bad-signature"\} [5-9]$/m)
    assert.match(metrics, /^hearsay_relay_gossip_received_bytes_total\{strategy="dandelion"\} [1-9]\d*$/m)
    assert.match(metrics, /^process_cpu_user_seconds_total [\d.e+-]+$/m, 'prom-client\'s default metrics')
    assert.match(metrics, /^libp2p_data_transfer_bytes_total\{protocol=/m, 'libp2p\'s own metrics')
    // dialling again: the target's gater refuses it (the dial fails, or the connection is closed at once)
    await attacker.dial(multiaddr(target.addr)).catch(() => {})
    await waitFor(() => toTarget() === 0, { what: 'the ban refuses the attacker again', timeoutMs: 5000 })
  })

  it('a restarted node keeps its mempool', async () => {
    const old = nodes[5]
    await old.proc.stop()
    const restarted = await startNode(5, nodes[0].addr, old.dataDir)
    nodes[5] = restarted
    assert.equal(restarted.peerId, old.peerId, 'same identity')
    assert.equal((await getJson(`${restarted.api}/mempool?limit=1`)).count, 200)
  })
})
