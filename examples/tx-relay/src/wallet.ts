/** `keygen` and `send`: the client side, which never runs a node. */
import { generateKeyPairSync } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { printer } from './output.ts'
import { privateKeyFromPem, publicKeyHex, signTx, txToJson } from './tx.ts'

export async function keygen (options: { out: string, force?: boolean, json?: boolean }): Promise<void> {
  const { privateKey } = generateKeyPairSync('ed25519')
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()
  // 'wx' refuses to replace a key someone may still need
  await writeFile(options.out, pem, { mode: 0o600, flag: options.force === true ? 'w' : 'wx' }).catch((err: any) => {
    if (err?.code === 'EEXIST') throw new Error(`${options.out} exists; pass --force to overwrite it`)
    throw err
  })
  const publicKey = publicKeyHex(privateKey)
  printer(options.json)('key', { file: options.out, publicKey }, publicKey)
}

export async function send (options: { api: string, key: string, to: string, amount: string, fee: string, nonce?: string, json?: boolean }): Promise<void> {
  const privateKey = privateKeyFromPem(await readFile(options.key, 'utf8'))
  const from = publicKeyHex(privateKey)
  const api = options.api.replace(/\/+$/, '')
  let nonce = options.nonce
  if (nonce == null) {
    const answer = await request(`${api}/nonce/${from}`)
    nonce = String((answer.body as { next: string }).next)
  }
  const tx = signTx({ from, to: options.to.toLowerCase(), amount: BigInt(options.amount), fee: BigInt(options.fee), nonce: BigInt(nonce) }, privateKey)
  const answer = await request(`${api}/tx`, JSON.stringify(txToJson(tx)))
  if (answer.status !== 202) throw new Error(`the node refused the transaction (${answer.status}): ${(answer.body as { error?: string }).error ?? ''}`)
  const id = (answer.body as { id: string }).id
  printer(options.json)('sent', { id, nonce, from }, id)
}

async function request (url: string, body?: string): Promise<{ status: number, body: unknown }> {
  let res: Response
  try {
    res = await fetch(url, body == null ? {} : { method: 'POST', body, headers: { 'content-type': 'application/json' } })
  } catch (err: any) {
    throw new Error(`cannot reach ${url}: ${err?.cause?.message ?? err?.message ?? err}`, { cause: err })
  }
  return { status: res.status, body: await res.json().catch(() => ({})) }
}
