/** Parsers of option values: each throws commander's InvalidArgumentError, which exits 2. */
import { multiaddr } from '@multiformats/multiaddr'
import { InvalidArgumentError } from 'commander'

/** A repeatable multiaddr option; `needsPeerId` for peers to dial (`/p2p/<id>` at the end). */
export const multiaddrOption = (needsPeerId: boolean) => (value: string, previous?: string[]): string[] => {
  try {
    multiaddr(value)
  } catch (err: any) {
    throw new InvalidArgumentError(`not a multiaddr (${err.message})`)
  }
  if (needsPeerId && !/\/p2p\/[^/]+\/?$/.test(value)) throw new InvalidArgumentError('must end in /p2p/<peer id>')
  return [...(previous ?? []), value]
}

/** A number > 0 (seconds, say). */
export const positiveNumber = (value: string): number => {
  const n = Number(value)
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number')
  return n
}

/** An integer > 0. */
export const positiveInteger = (value: string): number => {
  if (!/^\d+$/.test(value) || Number(value) === 0) throw new InvalidArgumentError('expected a positive integer')
  return Number(value)
}

/** `4MB`, `500kB`, `1.5MiB` or plain bytes → bytes (per second, for --max-upload). */
export const byteRate = (value: string): number => {
  const match = /^(\d+(?:\.\d+)?)\s*(B|kB|KB|KiB|MB|MiB|GB|GiB)?$/.exec(value.trim())
  const units: Record<string, number> = { B: 1, kB: 1e3, KB: 1e3, KiB: 1024, MB: 1e6, MiB: 1024 ** 2, GB: 1e9, GiB: 1024 ** 3 }
  const bytes = match == null ? NaN : Number(match[1]) * units[match[2] ?? 'B']
  if (!Number.isFinite(bytes) || bytes < 1) throw new InvalidArgumentError('expected a rate such as 500kB, 4MB or 1MiB (per second)')
  return Math.floor(bytes)
}
