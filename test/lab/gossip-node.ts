/**
 * A hearsay host for the lab's gossip scenario, run inside a lab namespace:
 * `gossip-node.ts '<HostOptions JSON>'`. It subscribes to one topic per relay strategy
 * (`lab/<strategy>`, the strategies and settings `hearsay-relay --relay` offers) and prints one
 * JSON event per line: `started` (peer id), `message` (topic, data as text) for every message
 * delivered. Reads `{"cmd":"publish","topic":...,"data":...}` lines on stdin (prints `published`
 * or `publish-error`).
 */
import { createInterface } from 'node:readline'
import { createHost, type HostOptions } from '@hearsay/host'
import { RELAYS, relayStrategy } from '../../examples/tx-relay/src/strategies.ts'

const print = (event: Record<string, unknown>): void => { process.stdout.write(JSON.stringify(event) + '\n') }
const node = await createHost(JSON.parse(process.argv[2] ?? '{}') as HostOptions)
for (const name of RELAYS) node.services.gossip.subscribe(`lab/${name}`, { strategy: relayStrategy(name) })
node.services.gossip.addEventListener('message', ({ detail }) => {
  print({ event: 'message', topic: detail.topic, data: new TextDecoder().decode(detail.data) })
})
print({ event: 'started', peerId: node.peerId.toString() })

createInterface({ input: process.stdin }).on('line', line => {
  void (async () => {
    const command = JSON.parse(line)
    if (command.cmd !== 'publish') return
    try {
      await node.services.gossip.publish(command.topic, new TextEncoder().encode(command.data))
      print({ event: 'published', topic: command.topic, data: command.data })
    } catch (err: any) {
      print({ event: 'publish-error', topic: command.topic, error: err?.message ?? String(err) })
    }
  })()
}).on('close', () => { void Promise.resolve(node.stop()).then(() => process.exit(0)) })

process.on('SIGTERM', () => { void Promise.resolve(node.stop()).then(() => process.exit(0)) })
