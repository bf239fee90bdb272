/**
 * A netgroup function: maps an address (a multiaddr string such as `/ip4/1.2.3.4/tcp/4001`) to
 * the name of the network group it belongs to. Addresses in one group are assumed to be cheap
 * for one operator to hold, so the address book spreads its tables, and the node its outbound
 * connections, across groups.
 */
export type Netgroup = (addr: string) => string

/** The group of addresses that name no IP host at all (an empty or unreadable address). */
export const UNKNOWN_NETGROUP = 'unknown'

/**
 * The default netgroup, as Bitcoin Core computes it without an AS map:
 * - IPv4: the /16 (`ip4:1.2`), also for IPv4-mapped IPv6 (`::ffff:1.2.3.4`);
 * - IPv6: the /32 (`ip6:2001:db8`);
 * - DNS names (`/dns`, `/dns4`, `/dns6`, `/dnsaddr`): the name itself (`dns:example.com`);
 * - anything else: the first component and its value (`memory:node-1`).
 *
 * Loopback addresses keep their /16 on purpose: `127.A.B.C` is all loopback on Linux, so tests
 * can give nodes distinct netgroups without leaving the machine.
 */
export function defaultNetgroup (addr: string): string {
  // the common case without splitting the address: every PEX record is grouped
  if (addr.startsWith('/ip4/')) return ipv4GroupAt(addr, 5) ?? UNKNOWN_NETGROUP
  const parts = addr.split('/')
  // a multiaddr string starts with '/', so parts[0] is ''
  const proto = parts[1]
  const value = parts[2]
  if (proto == null || proto === '' || value == null) return UNKNOWN_NETGROUP
  if (proto === 'ip6' || proto === 'ip6zone') {
    const ip = proto === 'ip6zone' ? parts[4] : value
    if (ip == null) return UNKNOWN_NETGROUP
    const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip)
    if (mapped != null) return ipv4GroupAt(mapped[1], 0) ?? UNKNOWN_NETGROUP
    const hextets = expandIpv6(ip)
    return hextets == null ? UNKNOWN_NETGROUP : `ip6:${hextets[0]}:${hextets[1]}`
  }
  if (proto === 'dns' || proto === 'dns4' || proto === 'dns6' || proto === 'dnsaddr') return `dns:${value.toLowerCase()}`
  return `${proto}:${value}`
}

/** The IP address in a multiaddr string (`/ip4/...` or `/ip6/...`), if it starts with one. */
export function ipOf (addr: string): string | undefined {
  const parts = addr.split('/')
  if (parts[1] === 'ip4' || parts[1] === 'ip6') return parts[2]
  if (parts[1] === 'ip6zone') return parts[4]
  return undefined
}

/**
 * The /16 (`ip4:1.2`) of the dotted quad that starts at `start` in `text` and ends at the next
 * `/` or at the end: four decimal octets of one to three digits, each at most 255.
 */
function ipv4GroupAt (text: string, start: number): string | undefined {
  let first = 0
  let second = 0
  let i = start
  for (let octet = 0; octet < 4; octet++) {
    if (octet > 0) {
      if (text.charCodeAt(i) !== 46) return undefined // '.'
      i++
    }
    let value = 0
    let digits = 0
    for (let c = text.charCodeAt(i); c >= 48 && c <= 57; c = text.charCodeAt(++i)) {
      value = value * 10 + c - 48
      digits++
    }
    if (digits === 0 || digits > 3 || value > 255) return undefined
    if (octet === 0) first = value
    else if (octet === 1) second = value
  }
  if (i < text.length && text.charCodeAt(i) !== 47) return undefined // '/'
  return `ip4:${first}.${second}`
}

/** The eight hextets of an IPv6 address, lower-case without leading zeros; `undefined` if malformed. */
function expandIpv6 (ip: string): string[] | undefined {
  let text = ip.toLowerCase()
  // a trailing embedded IPv4 address counts as two hextets
  const v4 = /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text)
  if (v4 != null) {
    const o = v4.slice(1).map(Number)
    if (o.some(n => n > 255)) return undefined
    text = text.slice(0, v4.index) + `${((o[0] << 8) | o[1]).toString(16)}:${((o[2] << 8) | o[3]).toString(16)}`
  }
  const halves = text.split('::')
  if (halves.length > 2) return undefined
  const head = halves[0] === '' ? [] : halves[0].split(':')
  const tail = halves.length === 2 && halves[1] !== '' ? halves[1].split(':') : []
  const missing = 8 - head.length - tail.length
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined
  const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail]
  if (!all.every(h => /^[0-9a-f]{1,4}$/.test(h))) return undefined
  return all.map(h => parseInt(h, 16).toString(16))
}
