/**
 * Three hosts on loopback TCP, each running the key-value service: writes on two of them,
 * a deletion, and every replica converges. Exits 0 when they agree, 1 if not within 10 s.
 *
 *   node examples/custom-protocol/src/demo.ts
 */
import { createHost, type Host } from '@hearsay/host'
import { kv, type Kv } from './index.ts'

type KvHost = Host<{ kv: Kv }>

const text = new TextEncoder()
const read = (value: Uint8Array | undefined): string => value == null ? '(none)' : new TextDecoder().decode(value)

async function main (): Promise<void> {
  const hosts: KvHost[] = []
  try {
    for (let i = 1; i <= 3; i++) {
      const ip = `127.0.180.${i}`
      hosts.push(await createHost({ listen: [`/ip4/${ip}/tcp/0`], dialFrom: ip, services: { kv: kv({ syncIntervalMs: 2_000 }) } }))
    }
    const [a, b, c] = hosts
    // a write before anyone is connected: the first sync carries it
    a.services.kv.put('colour', text.encode('red'))
    await b.dial(a.getMultiaddrs())
    await c.dial(b.getMultiaddrs())

    b.services.kv.put('shape', text.encode('circle'))
    c.services.kv.put('colour', text.encode('blue')) // later than a's write: it wins everywhere
    a.services.kv.put('size', text.encode('large'))
    a.services.kv.delete('size')

    const converged = await until(() => new Set(hosts.map(h => h.services.kv.root())).size === 1 &&
      hosts.every(h => h.services.kv.keys().length === 2), 10_000)
    for (const [i, host] of hosts.entries()) {
      const store = host.services.kv
      console.log(`node ${'abc'[i]}: colour=${read(store.get('colour'))} shape=${read(store.get('shape'))} size=${read(store.get('size'))} root=${store.root().slice(0, 12)}`)
    }
    console.log(converged ? 'converged' : 'did NOT converge within 10 s')
    process.exitCode = converged ? 0 : 1
  } finally {
    await Promise.all(hosts.map(async h => { await h.stop() }))
  }
}

/** Poll `condition` every 50 ms for at most `timeoutMs`. */
async function until (condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) return false
    await new Promise(resolve => setTimeout(resolve, 50))
  }
  return true
}

await main()
