import { chmod, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'

/** The file under `dataDir` that holds the host's private key (protobuf, mode 0600). */
export const IDENTITY_FILE = 'identity.key'

/** A new identity key of the kind every host makes: Ed25519. */
export async function newIdentityKey (): Promise<PrivateKey> {
  return await generateKeyPair('Ed25519')
}

/**
 * Load the host's private key from `dataDir`, or create an Ed25519 key and store it there with
 * mode 0600 (created exclusively, so two processes racing on one directory cannot swap keys).
 */
export async function loadOrCreateIdentity (dataDir: string): Promise<PrivateKey> {
  const path = join(dataDir, IDENTITY_FILE)
  try {
    return privateKeyFromProtobuf(await readFile(path))
  } catch (err: any) {
    if (err?.code !== 'ENOENT') {
      throw new Error(`cannot read the identity key ${path}: ${err?.message ?? err}`, { cause: err })
    }
  }
  const key = await newIdentityKey()
  try {
    await writeFile(path, privateKeyToProtobuf(key), { mode: 0o600, flag: 'wx' })
  } catch (err: any) {
    if (err?.code === 'EEXIST') return privateKeyFromProtobuf(await readFile(path))
    throw err
  }
  // the umask may have narrowed the mode but never widened it; make it exact anyway
  await chmod(path, 0o600)
  return key
}
