/**
 * A hearsay host run as a child process by the churn test, so that it can be killed with SIGKILL
 * and restarted from the same data directory (same identity, same stored pieces). It subscribes
 * to one flood topic and prints JSON events on stdout:
 *
 * - `listening {peerId, addrs, port}` once started and subscribed;
 * - `seeded {fileId}` after adding the `seed` file (first start only: a restart serves it from
 *   its store);
 * - `message {seq}` for every message delivered on the topic (payload `<seq>:<padding>`).
 *
 * usage: node churn-node.ts '<JSON ChurnNodeArgs>'
 */
import { createHost } from '@hearsay/host'
import { flood } from '@hearsay/gossip'

/** What the parent passes, as one JSON argument. */
export interface ChurnNodeArgs {
  dataDir: string
  ip: string
  /** 0 on the first start; the first start's port on restarts, so old addresses stay valid */
  port: number
  bootstrap: string[]
  topic: string
  /** a file to add and provide (first start only) */
  seed?: string
  uploadBytesPerSecond?: number
}

const args: ChurnNodeArgs = JSON.parse(process.argv[2])
const print = (event: string, fields: Record<string, unknown> = {}): void => { process.stdout.write(JSON.stringify({ event, ...fields }) + '\n') }

const host = await createHost({
  listen: [`/ip4/${args.ip}/tcp/${args.port}`],
  dialFrom: args.ip,
  dataDir: args.dataDir,
  bootstrap: args.bootstrap,
  files: { uploadBytesPerSecond: args.uploadBytesPerSecond }
})

const decoder = new TextDecoder()
host.services.gossip.addEventListener('message', event => {
  if (event.detail.topic !== args.topic) return
  print('message', { seq: Number(decoder.decode(event.detail.data).split(':')[0]) })
})
host.services.gossip.subscribe(args.topic, { strategy: flood() })

const addr = host.getMultiaddrs()[0]
print('listening', { peerId: host.peerId.toString(), addrs: host.getMultiaddrs().map(String), port: Number(addr.getComponents().find(c => c.name === 'tcp')?.value) })

if (args.seed != null) print('seeded', { fileId: await host.services.files.add(args.seed, { name: 'churn.bin' }) })
