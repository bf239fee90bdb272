/**
 * `hearsay-relay` across the lab, shared by the integration test and `pnpm bench lab`: the real
 * CLI (`hearsay-relay node`) on public hosts (with `--announce`) and on hosts behind NAT routers,
 * transactions signed here and submitted to the nodes' HTTP APIs from inside their namespaces
 * (`curl` to the node's loopback API: the lab has no route to the machine's own namespace).
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { JsonProcess } from '../../examples/demo/src/process.ts'
import { publicKeyHex, signTx, txToJson } from '../../examples/tx-relay/src/tx.ts'
import { createLab, type Lab } from './lab.ts'

const cli = fileURLToPath(new URL('../../examples/tx-relay/src/cli.ts', import.meta.url))
const START_MS = 60_000
const API = 'http://127.0.0.1:7332'

interface RelayProc {
  name: string
  natted: boolean
  proc: JsonProcess
  peerId: string
  token: string
}

/** What {@link relayAcrossNats} measured. */
export interface RelayResult {
  nodes: number
  natted: number
  txs: number
  /** Transactions in each node's mempool at the end, by host name. */
  mempools: Record<string, number>
  /** Every node holds every transaction. */
  complete: boolean
  /** From the first submission until every mempool held every transaction (or the wait ended). */
  ms: number
  /** Transactions submitted at a NATed node (their stem starts behind its NAT). */
  stemsFromNatted: number
  /** (transaction, NATed node) pairs where the node first saw the transaction in its stem phase from another peer. */
  stemHopsIntoNatted: number
  /** Transactions whose stem phase left a NATed node towards another (some node first saw it in stem phase from a NATed peer). */
  stemHopsOutOfNatted: number
}

/** `curl` inside host `name`'s namespace; the answer's body as JSON. */
function api (lab: Lab, name: string, path: string, post?: { body: string, token: string }): any {
  const args = ['curl', '-s', '--max-time', '5']
  if (post != null) args.push('-H', 'content-type: application/json', '-H', `authorization: Bearer ${post.token}`, '--data-binary', post.body)
  return JSON.parse(lab.exec(name, [...args, `${API}${path}`]))
}

/**
 * `nodes` relay nodes (dandelion), the last `natted` of them each behind a NAT router of its own,
 * the rest public and announcing their address; each joins through the first two public ones.
 * `txs` transactions from as many senders are submitted round-robin to every node, then every
 * mempool is polled until it holds all of them (at most `waitMs`).
 */
export async function relayAcrossNats (options: { nodes?: number, natted?: number, txs?: number, waitMs?: number } = {}): Promise<RelayResult> {
  const count = options.nodes ?? 8
  const natted = options.natted ?? 3
  const txCount = options.txs ?? 50
  const pub = Array.from({ length: count - natted }, (_, i) => `r${i + 1}`)
  const nat = Array.from({ length: natted }, (_, i) => `n${i + 1}`)
  const dir = await mkdtemp(join(tmpdir(), 'hearsay-lab-relay-'))
  const lab = await createLab({ public: pub, homes: nat.map((name, i) => ({ name: `home${i + 1}`, hosts: [name] })) })
  try {
    const started: RelayProc[] = []
    const start = async (name: string, natted: boolean, bootstrap: string[]): Promise<RelayProc> => {
      const args = ['node', '--listen', '/ip4/0.0.0.0/tcp/7333', '--api', '127.0.0.1:7332', '--data-dir', join(dir, name), '--json',
        ...(natted ? [] : ['--announce', `/ip4/${lab.host(name).ip}/tcp/7333`]), ...bootstrap.flatMap(b => ['--bootstrap', b])]
      const proc = lab.spawn(name, `hearsay-relay node (${name})`, cli, args)
      const listening = await proc.waitFor(e => e.event === 'listening', START_MS)
      const token = (await readFile(listening.cookie, 'utf8')).trim()
      return { name, natted, proc, peerId: listening.peerId, token }
    }
    const addrOf = (p: RelayProc): string => `/ip4/${lab.host(p.name).ip}/tcp/7333/p2p/${p.peerId}`
    started.push(await start(pub[0], false, []))
    started.push(...await Promise.all(pub.slice(1).map(async name => await start(name, false, [addrOf(started[0])]))))
    const bootstrap = started.slice(0, 2).map(addrOf)
    started.push(...await Promise.all(nat.map(async name => await start(name, true, bootstrap))))
    // the NATed nodes need their connections before the first stem leaves them
    await new Promise(resolve => setTimeout(resolve, 3_000))

    const ids: string[] = []
    const t0 = performance.now()
    let stemsFromNatted = 0
    for (let i = 0; i < txCount; i++) {
      const { privateKey } = generateKeyPairSync('ed25519')
      const tx = signTx({ from: publicKeyHex(privateKey), to: randomBytes(32).toString('hex'), amount: 1n, fee: 2n, nonce: 0n }, privateKey)
      const node = started[i % started.length]
      const answer = api(lab, node.name, '/tx', { body: JSON.stringify(txToJson(tx)), token: node.token })
      if (answer.id == null) throw new Error(`${node.name} refused a transaction: ${JSON.stringify(answer)}`)
      ids.push(answer.id)
      if (node.natted) stemsFromNatted++
    }
    const want = new Set(ids)
    const held = (name: string): number => (api(lab, name, `/mempool?limit=${Math.max(txCount * 2, 100)}`).txs as Array<{ id: string }>).filter(t => want.has(t.id)).length
    const deadline = performance.now() + (options.waitMs ?? 60_000)
    let mempools: Record<string, number> = {}
    for (;;) {
      mempools = Object.fromEntries(started.map(n => [n.name, held(n.name)]))
      if (Object.values(mempools).every(n => n === txCount) || performance.now() > deadline) break
      await new Promise(resolve => setTimeout(resolve, 500))
    }
    const ms = performance.now() - t0
    const nattedIds = new Set(started.filter(n => n.natted).map(n => n.peerId))
    const firstSeen = new Map(started.map(n => [n.name, api(lab, n.name, `/stats?limit=${Math.max(txCount * 2, 100)}`).firstSeen as Array<{ id: string, from: string, phase: string }>]))
    let stemHopsIntoNatted = 0
    const outOfNatted = new Set<string>()
    for (const node of started) {
      for (const seen of firstSeen.get(node.name) ?? []) {
        if (!want.has(seen.id) || seen.phase !== 'stem') continue
        if (node.natted) stemHopsIntoNatted++
        if (nattedIds.has(seen.from)) outOfNatted.add(seen.id)
      }
    }
    return {
      nodes: count,
      natted,
      txs: txCount,
      mempools,
      complete: Object.values(mempools).every(n => n === txCount),
      ms,
      stemsFromNatted,
      stemHopsIntoNatted,
      stemHopsOutOfNatted: outOfNatted.size
    }
  } finally {
    await lab.destroy()
    await rm(dir, { recursive: true, force: true })
  }
}
