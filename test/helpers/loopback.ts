/**
 * Host options that put a test host on its own loopback address 127.0.<subnet>.<n>, listening
 * and dialling from it, so per-IP limits and netgroups behave as between real machines.
 */
export function onLoopback (subnet: number, n: number): { listen: string[], dialFrom: string } {
  const ip = `127.0.${subnet}.${n}`
  return { listen: [`/ip4/${ip}/tcp/0`], dialFrom: ip }
}
