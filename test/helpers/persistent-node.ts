/**
 * A hearsay host with a data directory, run as a child process by the restart-persistence and
 * liveness tests (so that it can be killed with SIGKILL, and so that its event loop is its own).
 * Prints JSON events; takes JSON commands on stdin.
 *
 * usage: node persistent-node.ts <dataDir> <ip> [bootstrap multiaddr...]
 */
import { createInterface } from 'node:readline'
import { createHost } from '@hearsay/host'
import { flood } from '@hearsay/gossip'
import { seededBytes } from './hostile-targets.ts'

const [dataDir, ip, ...bootstrap] = process.argv.slice(2)
const print = (event: string, fields: Record<string, unknown> = {}): void => { process.stdout.write(JSON.stringify({ event, ...fields }) + '\n') }

const host = await createHost({
  listen: [`/ip4/${ip}/tcp/0`],
  dialFrom: ip,
  dataDir,
  bootstrap,
  dht: { clientMode: true },
  discovery: { dialIntervalMs: 200, targetOutbound: 2, anchors: 2, pexIntervalMs: 1000 }
})

const state = (): Record<string, unknown> => ({
  peerId: host.peerId.toString(),
  addrs: host.getMultiaddrs().map(String),
  bans: host.services.scoring.list().map(b => b.peerId.toString()),
  anchors: host.services.discovery.stats().anchors,
  outbound: host.getConnections().filter(c => c.direction === 'outbound').map(c => c.remotePeer.toString()),
  files: host.services.files.list().map(f => ({ id: f.id, complete: f.complete, piecesHave: f.piecesHave }))
})

host.services.scoring.addEventListener('peer:banned', event => { print('banned', { peer: event.detail.peerId.toString() }) })
print('listening', state())

createInterface({ input: process.stdin }).on('line', line => {
  const command = JSON.parse(line)
  if (command.cmd === 'state') print('state', state())
  if (command.cmd === 'add') {
    host.services.files.add(seededBytes(command.size, command.seed), { name: command.name, provide: false }).then(
      id => { print('added', { id }) },
      (err: any) => { print('add-failed', { error: String(err?.message ?? err) }) }
    )
  }
  if (command.cmd === 'subscribe') host.services.gossip.subscribe(command.topic, { strategy: flood() })
  if (command.cmd === 'publish') {
    host.services.gossip.publish(command.topic, new TextEncoder().encode(command.text)).then(
      () => { print('published') },
      (err: any) => { print('publish-failed', { error: String(err?.message ?? err) }) }
    )
  }
  if (command.cmd === 'get') {
    host.services.files.get(command.id, { dht: false }).then(
      result => { print('got', { id: result.id, pieces: result.pieces }) },
      (err: any) => { print('get-failed', { error: String(err?.message ?? err) }) }
    )
  }
})
