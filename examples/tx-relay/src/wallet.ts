/** `keygen` and `send`: the client side, which never runs a node. */
import { generateKeyPairSync, type KeyObject } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { readCookie } from './cookie.ts'
import { UsageError, type Output } from './output.ts'
import { privateKeyFromPem, publicKeyHex, signTx, txToJson } from './tx.ts'

/** Write a new Ed25519 key (refusing to overwrite without `force`) and print its public key. */
export async function keygen (options: { out: string, force?: boolean }, out: Output): Promise<void> {
  const { privateKey } = generateKeyPairSync('ed25519')
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()
  // 'wx' refuses to replace a key someone may still need
  await writeFile(options.out, pem, { mode: 0o600, flag: options.force === true ? 'w' : 'wx' }).catch((err: any) => {
    if (err?.code === 'EEXIST') throw new UsageError(`--out: ${options.out} exists; pass --force to overwrite it`)
    throw new UsageError(`--out: cannot write ${options.out}: ${err?.code ?? err?.message}`)
  })
  const publicKey = publicKeyHex(privateKey)
  out.event('key', { file: options.out, publicKey }, publicKey)
}

/** Options of {@link send}, parsed. */
export interface SendOptions {
  api: string
  cookie: string
  key: string
  to: string
  amount: bigint
  fee: bigint
  nonce?: bigint
}

/** Sign a transaction with `key` and submit it to the node at `api` with the cookie's token. */
export async function send (options: SendOptions, out: Output): Promise<void> {
  const privateKey = await readKey(options.key)
  const token = await readCookie(options.cookie).catch((err: any) => {
    throw new UsageError(`--cookie: cannot read ${options.cookie} (${err?.code ?? err?.message}); it is <data-dir>/.cookie of a running node`)
  })
  const from = publicKeyHex(privateKey)
  let nonce = options.nonce
  if (nonce == null) {
    const answer = await request(`${options.api}/nonce/${from}`)
    if (answer.status !== 200) throw new Error(`${options.api} did not answer the nonce (${answer.status}): ${(answer.body as { error?: string }).error ?? ''}`)
    nonce = BigInt((answer.body as { next: string }).next)
  }
  const tx = signTx({ from, to: options.to, amount: options.amount, fee: options.fee, nonce }, privateKey)
  const answer = await request(`${options.api}/tx`, JSON.stringify(txToJson(tx)), token)
  const reason = (answer.body as { error?: string }).error ?? ''
  if (answer.status === 401) throw new Error(`the node refused the token in ${options.cookie} (401); is it this node's cookie?`)
  if (answer.status !== 202) throw new Error(`the node refused the transaction (${answer.status}): ${reason}`)
  const id = (answer.body as { id: string }).id
  out.event('sent', { id, nonce: nonce.toString(), from }, id)
}

/** The sender's key, or a usage error naming `--key`. */
async function readKey (file: string): Promise<KeyObject> {
  let pem: string
  try {
    pem = await readFile(file, 'utf8')
  } catch (err: any) {
    throw new UsageError(`--key: cannot read ${file} (${err?.code ?? err?.message})`)
  }
  let key: KeyObject | undefined
  try {
    key = privateKeyFromPem(pem)
  } catch {
    // OpenSSL's decoder error means nothing to a user; the line below says what is wrong
  }
  if (key?.asymmetricKeyType !== 'ed25519') throw new UsageError(`--key: ${file} is not an Ed25519 private key in PEM (make one with "hearsay-relay keygen")`)
  return key
}

async function request (url: string, body?: string, token?: string): Promise<{ status: number, body: unknown }> {
  let res: Response
  try {
    res = await fetch(url, body == null ? {} : { method: 'POST', body, headers: { 'content-type': 'application/json', authorization: `Bearer ${token ?? ''}` } })
  } catch (err: any) {
    throw new Error(`cannot reach ${url}: ${err?.cause?.code ?? err?.cause?.message ?? err?.message ?? err}`, { cause: err })
  }
  return { status: res.status, body: await res.json().catch(() => ({})) }
}
