/**
 * The API's write token, kept as bitcoind keeps its `.cookie`: a fresh random token in a file
 * only the node's user can read, written at every start and removed at a clean stop. Whoever can
 * read the file may submit transactions; reads need no token.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { readFile, rm, writeFile } from 'node:fs/promises'

/** Write a new token to `file` (mode 0600, replacing an old one) and return it. */
export async function writeCookie (file: string): Promise<string> {
  const token = randomBytes(32).toString('hex')
  // removed first: writeFile's mode applies only to a file it creates
  await rm(file, { force: true })
  await writeFile(file, token + '\n', { mode: 0o600, flag: 'wx' })
  return token
}

/** The token in a cookie file. */
export async function readCookie (file: string): Promise<string> {
  return (await readFile(file, 'utf8')).trim()
}

/** Remove the cookie at a clean stop (a stale one would name a token nobody accepts). */
export async function removeCookie (file: string): Promise<void> {
  await rm(file, { force: true })
}

/** Whether an `Authorization` header carries `token` (`Bearer <token>`), compared in constant time. */
export function authorized (header: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? '')
  if (match == null) return false
  const given = Buffer.from(match[1])
  const expected = Buffer.from(token)
  return given.byteLength === expected.byteLength && timingSafeEqual(given, expected)
}
