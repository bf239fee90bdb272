/**
 * Parsers of option values: each throws commander's InvalidArgumentError, which commander turns
 * into one line naming the flag (`option '--timeout <seconds>' argument 'soon' is invalid. …`),
 * exit 2.
 */
import { isIP } from 'node:net'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { InvalidArgumentError } from 'commander'

/** Longest wait a timer can hold (2^31 - 1 ms, about 24.8 days); longer ones fire at once. */
export const MAX_SECONDS = Math.floor((2 ** 31 - 1) / 1000)

function parse (value: string): Multiaddr {
  try {
    return multiaddr(value)
  } catch (err: any) {
    throw new InvalidArgumentError(`not a multiaddr (${err.message})`)
  }
}

/** An address to listen on: `/ip4/<address>/tcp/<port>` or `/ip6/…/tcp/<port>` (repeatable). */
export const listenAddr = (value: string, previous?: string[]): string[] => {
  const names = parse(value).getComponents().map(c => c.name)
  if (names.length !== 2 || !['ip4', 'ip6'].includes(names[0]) || names[1] !== 'tcp') {
    throw new InvalidArgumentError('expected /ip4/<address>/tcp/<port> or /ip6/<address>/tcp/<port> (hearsay-share speaks TCP only)')
  }
  return [...(previous ?? []), value]
}

/**
 * An address to announce as it is (repeatable): this node's public `/ip4/<address>/tcp/<port>`
 * (or `/ip6/…`, `/dns4/<name>/…`, `/dns6/<name>/…`), without `/p2p/`: the node adds its id.
 */
export const announceAddr = (value: string, previous?: string[]): string[] => {
  const names = parse(value).getComponents().map(c => c.name)
  if (names.length !== 2 || !['ip4', 'ip6', 'dns4', 'dns6'].includes(names[0]) || names[1] !== 'tcp') {
    throw new InvalidArgumentError('expected this node\'s public address, such as /ip4/<public ip>/tcp/4001 or /dns4/<name>/tcp/4001')
  }
  return [...(previous ?? []), value]
}

/**
 * A peer to dial (repeatable): a TCP address ending in `/p2p/<peer id>`, e.g.
 * `/ip4/127.0.0.1/tcp/4001/p2p/12D3KooW…`, or a DNS seed `/dnsaddr/<domain>/p2p/<peer id>`.
 */
export const peerAddr = (value: string, previous?: string[]): string[] => {
  const components = parse(value).getComponents()
  const last = components.at(-1)
  if (last?.name !== 'p2p' || last.value == null) throw new InvalidArgumentError('must end in /p2p/<peer id>')
  try {
    peerIdFromString(last.value)
  } catch {
    throw new InvalidArgumentError(`"${last.value}" is not a peer id`)
  }
  if (components[0].name !== 'dnsaddr' && !components.some(c => c.name === 'tcp')) {
    throw new InvalidArgumentError('expected a TCP address such as /ip4/<address>/tcp/<port>/p2p/<peer id> (hearsay-share speaks TCP only)')
  }
  return [...(previous ?? []), value]
}

/** An IPv4 or IPv6 address (whether this machine has it is checked when the node starts). */
export const ipAddress = (value: string): string => {
  if (isIP(value) === 0) throw new InvalidArgumentError('expected an IP address of this machine, such as 127.0.0.2')
  return value
}

/** Seconds: a decimal number > 0 that a timer can hold. */
export const seconds = (value: string): number => {
  const n = /^\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : NaN
  if (!(n > 0)) throw new InvalidArgumentError('expected a positive number of seconds')
  if (n > MAX_SECONDS) throw new InvalidArgumentError(`at most ${MAX_SECONDS} seconds`)
  return n
}

/** An integer > 0. */
export const positiveInteger = (value: string): number => {
  const n = /^\d+$/.test(value.trim()) ? Number(value) : NaN
  if (!(n > 0) || !Number.isSafeInteger(n)) throw new InvalidArgumentError('expected a positive integer')
  return n
}

/** `4MB`, `500kB`, `1.5MiB` or plain bytes → bytes (per second, for --max-upload). */
export const byteRate = (value: string): number => {
  const match = /^(\d+(?:\.\d+)?)\s*(B|kB|KB|KiB|MB|MiB|GB|GiB)?$/.exec(value.trim())
  const units: Record<string, number> = { B: 1, kB: 1e3, KB: 1e3, KiB: 1024, MB: 1e6, MiB: 1024 ** 2, GB: 1e9, GiB: 1024 ** 3 }
  const bytes = match == null ? NaN : Number(match[1]) * units[match[2] ?? 'B']
  if (!Number.isSafeInteger(Math.floor(bytes)) || bytes < 1) throw new InvalidArgumentError('expected a rate such as 500kB, 4MB or 1MiB (per second)')
  return Math.floor(bytes)
}
