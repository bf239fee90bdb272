/**
 * Parsers of flag (and config file) values. Each throws commander's InvalidArgumentError, which
 * commander turns into one line naming the flag and exit 2.
 */
import { isIP } from 'node:net'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import { InvalidArgumentError } from 'commander'
import { RELAYS, isRelayName, type RelayName } from './relay-names.ts'

function parseMultiaddr (value: string): Multiaddr {
  try {
    return multiaddr(value)
  } catch (err: any) {
    throw new InvalidArgumentError(`not a multiaddr (${err?.message ?? err})`)
  }
}

/** A TCP address to listen on: `/ip4|ip6|dns4|dns6/<host>/tcp/<port>`, the only transport a node runs. */
export function listenAddr (value: string): string {
  const names = parseMultiaddr(value).getComponents().map(c => c.name)
  if (names.length !== 2 || !['ip4', 'ip6', 'dns4', 'dns6'].includes(names[0]) || names[1] !== 'tcp') {
    throw new InvalidArgumentError('expected a TCP address such as /ip4/0.0.0.0/tcp/7333')
  }
  return value
}

/** This node's public address, announced as it is: `/ip4|ip6|dns4|dns6/<host>/tcp/<port>`, no `/p2p/`. */
export function announceAddr (value: string): string {
  const names = parseMultiaddr(value).getComponents().map(c => c.name)
  if (names.length !== 2 || !['ip4', 'ip6', 'dns4', 'dns6'].includes(names[0]) || names[1] !== 'tcp') {
    throw new InvalidArgumentError('expected this node\'s public address, such as /ip4/<public ip>/tcp/7333 or /dns4/<name>/tcp/7333')
  }
  return value
}

/** A peer to join through: a TCP address ending in `/p2p/<peer id>`, or a `/dnsaddr/<domain>` seed. */
export function bootstrapAddr (value: string): string {
  const components = parseMultiaddr(value).getComponents()
  if (components[0]?.name === 'dnsaddr') return value
  const last = components[components.length - 1]
  if (last?.name !== 'p2p' || last.value == null) throw new InvalidArgumentError('must end in /p2p/<peer id>')
  try {
    peerIdFromString(last.value)
  } catch {
    throw new InvalidArgumentError(`"${last.value}" is not a peer id`)
  }
  return value
}

/** Repeatable multiaddr flags collect into a list. */
export const repeatable = <T>(parse: (value: string) => T) => (value: string, previous: T[] | undefined): T[] => [...(previous ?? []), parse(value)]

/** An IPv4 or IPv6 address. */
export function ipAddress (value: string): string {
  if (isIP(value) === 0) throw new InvalidArgumentError('expected an IPv4 or IPv6 address')
  return value
}

/** `host:port` (`[::1]:7332` for IPv6), port 0–65535 (0: a free one). */
export function hostPort (value: string): { host: string, port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(value)
  const port = Number(match?.[3])
  if (match == null || port > 65535) throw new InvalidArgumentError('expected host:port with a port from 0 to 65535, e.g. 127.0.0.1:7332')
  const host = match[1] ?? match[2]
  if (match[1] != null && isIP(host) !== 6) throw new InvalidArgumentError(`"${host}" is not an IPv6 address`)
  return { host, port }
}

/** An http(s) URL without a query, e.g. a node's API. */
export function httpUrl (value: string): string {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new InvalidArgumentError('expected a URL such as http://127.0.0.1:7332')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidArgumentError('expected an http:// or https:// URL')
  return value.replace(/\/+$/, '')
}

/** An Ed25519 public key: 64 hex characters. */
export function publicKeyText (value: string): string {
  if (!/^[0-9a-fA-F]{64}$/.test(value)) throw new InvalidArgumentError('expected a public key of 64 hex characters')
  return value.toLowerCase()
}

/** An integer from `min` to `max`, as a bigint (amounts and fees are 64-bit). */
export const integerIn = (min: bigint, max: bigint) => (value: string): bigint => {
  if (!/^\d{1,20}$/.test(value) || BigInt(value) < min || BigInt(value) > max) {
    throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`)
  }
  return BigInt(value)
}

/** Any u64: an amount, fee or nonce. */
export const u64 = integerIn(0n, 2n ** 64n - 1n)

/** A relay strategy name. */
export function relayName (value: string): RelayName {
  if (!isRelayName(value)) throw new InvalidArgumentError(`expected one of ${RELAYS.join(', ')}`)
  return value
}
