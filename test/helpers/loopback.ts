/**
 * Host options that put a test host on its own loopback address 127.0.<subnet>.<n>, listening
 * and dialling from it, so per-IP limits and netgroups behave as between real machines.
 */
export function onLoopback (subnet: number, n: number): { listen: string[], dialFrom: string } {
  const ip = `127.0.${subnet}.${n}`
  return { listen: [`/ip4/${ip}/tcp/0`], dialFrom: ip }
}

/**
 * Host options for a test host that meets only the hosts it dials or that dial it: no discovery,
 * and no DHT (whose first self-query, at start, would link it to the other hosts its peers know;
 * files needs the DHT, so it goes too). For the stars and lines a test builds by hand.
 */
export const MEETS_ONLY_ITS_LINKS = { discovery: false, dht: false, files: false } as const
