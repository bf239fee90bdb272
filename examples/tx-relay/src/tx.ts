/**
 * Transactions: a canonical fixed-size binary encoding, Ed25519 signatures, and the checks a
 * node makes before it relays one. The encoding is the gossip payload, so the gossip message
 * id (SHA-256 of the payload) is the transaction id.
 */
import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto'

/** A transaction, with amounts as integers of the smallest unit. */
export interface Tx {
  /** Sender's Ed25519 public key, 32 bytes as 64 hex characters. */
  from: string
  /** Recipient's public key, 64 hex characters. */
  to: string
  amount: bigint
  fee: bigint
  /** The sender's sequence number: each (from, nonce) may be spent once. */
  nonce: bigint
  /** Ed25519 signature of {@link signingBytes}, 128 hex characters. */
  signature: string
}

const VERSION = 1
const DOMAIN = new TextEncoder().encode('hearsay-relay tx v1')
/** Size of every encoded transaction: version, from, to, amount, fee, nonce, signature. */
export const TX_BYTES = 1 + 32 + 32 + 8 + 8 + 8 + 64
const MAX_U64 = 2n ** 64n - 1n

/** Why a transaction was refused; the text goes back to the HTTP client as it is. */
export class InvalidTxError extends Error {
  override readonly name = 'InvalidTxError'
}

/** The encoding of everything but the signature: what the sender signs. */
export function signingBytes (tx: Omit<Tx, 'signature'>): Uint8Array {
  const out = new Uint8Array(TX_BYTES - 64)
  const view = new DataView(out.buffer)
  out[0] = VERSION
  out.set(hexBytes(tx.from, 32, 'from'), 1)
  out.set(hexBytes(tx.to, 32, 'to'), 33)
  view.setBigUint64(65, u64(tx.amount, 'amount'))
  view.setBigUint64(73, u64(tx.fee, 'fee'))
  view.setBigUint64(81, u64(tx.nonce, 'nonce'))
  return out
}

/** The canonical encoding (always {@link TX_BYTES} bytes). */
export function encodeTx (tx: Tx): Uint8Array {
  const out = new Uint8Array(TX_BYTES)
  out.set(signingBytes(tx))
  out.set(hexBytes(tx.signature, 64, 'signature'), TX_BYTES - 64)
  return out
}

/** Decode the canonical encoding; throws {@link InvalidTxError} for anything else. */
export function decodeTx (bytes: Uint8Array): Tx {
  if (bytes.byteLength !== TX_BYTES) throw new InvalidTxError(`a transaction is ${TX_BYTES} bytes, got ${bytes.byteLength}`)
  if (bytes[0] !== VERSION) throw new InvalidTxError(`unknown transaction version ${bytes[0]}`)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  return {
    from: hex(bytes.subarray(1, 33)),
    to: hex(bytes.subarray(33, 65)),
    amount: view.getBigUint64(65),
    fee: view.getBigUint64(73),
    nonce: view.getBigUint64(81),
    signature: hex(bytes.subarray(89))
  }
}

/** The transaction id: SHA-256 of the canonical encoding, hex (the gossip message id too). */
export function txId (tx: Tx | Uint8Array): string {
  const bytes = tx instanceof Uint8Array ? tx : encodeTx(tx)
  return createHash('sha256').update(bytes).digest('hex')
}

/** Sign a transaction with the sender's private key (whose public key must be `from`). */
export function signTx (tx: Omit<Tx, 'signature'>, privateKey: KeyObject): Tx {
  const signature = sign(null, withDomain(signingBytes(tx)), privateKey)
  return { ...tx, signature: hex(signature) }
}

/** Whether the signature is `from`'s over the rest of the transaction. */
export function verifyTx (tx: Tx): boolean {
  try {
    return verify(null, withDomain(signingBytes(tx)), publicKeyObject(tx.from), hexBytes(tx.signature, 64, 'signature'))
  } catch {
    return false
  }
}

/** A transaction as JSON (amounts as decimal strings, so no precision is lost). */
export interface TxJson {
  from: string
  to: string
  amount: string | number
  fee: string | number
  nonce: string | number
  signature: string
}

export function txToJson (tx: Tx): TxJson & { id: string } {
  return { id: txId(tx), from: tx.from, to: tx.to, amount: tx.amount.toString(), fee: tx.fee.toString(), nonce: tx.nonce.toString(), signature: tx.signature }
}

/** Parse JSON input strictly; throws {@link InvalidTxError} naming the bad field. */
export function txFromJson (json: unknown): Tx {
  if (json == null || typeof json !== 'object') throw new InvalidTxError('expected a JSON object')
  const o = json as Record<string, unknown>
  const tx = {
    from: field(o, 'from'),
    to: field(o, 'to'),
    amount: integer(o.amount, 'amount'),
    fee: integer(o.fee, 'fee'),
    nonce: integer(o.nonce, 'nonce'),
    signature: field(o, 'signature')
  }
  // round-trips through the encoding, which checks every length and range
  return decodeTx(encodeTx(tx))
}

/** An Ed25519 public key object from 32 raw bytes in hex. */
export function publicKeyObject (publicKeyHex: string): KeyObject {
  // SPKI prefix of an Ed25519 public key
  const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), hexBytes(publicKeyHex, 32, 'public key')])
  return createPublicKey({ key: spki, format: 'der', type: 'spki' })
}

/** The raw 32-byte public key of an Ed25519 private key, in hex. */
export function publicKeyHex (privateKey: KeyObject): string {
  const der = createPublicKey(privateKey).export({ format: 'der', type: 'spki' })
  return der.subarray(der.byteLength - 32).toString('hex')
}

/** An Ed25519 private key from its PKCS#8 PEM text. */
export function privateKeyFromPem (pem: string): KeyObject {
  return createPrivateKey({ key: pem, format: 'pem' })
}

function withDomain (bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(DOMAIN.byteLength + bytes.byteLength)
  out.set(DOMAIN)
  out.set(bytes, DOMAIN.byteLength)
  return out
}

function field (o: Record<string, unknown>, name: string): string {
  const value = o[name]
  if (typeof value !== 'string') throw new InvalidTxError(`${name} must be a hex string`)
  return value
}

function integer (value: unknown, name: string): bigint {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value)
  if (typeof value === 'string' && /^\d{1,20}$/.test(value)) return BigInt(value)
  throw new InvalidTxError(`${name} must be a non-negative integer`)
}

function u64 (value: bigint, name: string): bigint {
  if (typeof value !== 'bigint' || value < 0n || value > MAX_U64) throw new InvalidTxError(`${name} must fit in 64 bits`)
  return value
}

function hexBytes (text: string, length: number, name: string): Buffer {
  if (typeof text !== 'string' || text.length !== length * 2 || !/^[0-9a-f]*$/i.test(text)) {
    throw new InvalidTxError(`${name} must be ${length} bytes as ${length * 2} hex characters`)
  }
  return Buffer.from(text, 'hex')
}

function hex (bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
}
