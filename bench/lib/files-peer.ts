/**
 * One host of the `files` bench in a process of its own, so that it gets a core of its own as a
 * real peer would, instead of sharing the benchmark's thread with the host it serves:
 * `node bench/lib/files-peer.ts '<JSON FilesPeerArgs>'`. It prints `{"ready", peerId, addrs}`,
 * then answers JSON commands read on stdin, one per line (see {@link FilesPeerCommand}), with
 * `{"id", ...}` lines on stdout. It stops when stdin closes, so it never outlives the bench.
 *
 * @module
 */
import { createHost } from '@hearsay/host'
import { fileIndex, type FileIndex } from '@hearsay/file-index'
import { multiaddr } from '@multiformats/multiaddr'
import { benchData, RAW_PROTOCOL, type FilesPeerArgs, type FilesPeerCommand } from './files-peers.ts'

const args: FilesPeerArgs = JSON.parse(process.argv[2])
const print = (line: Record<string, unknown>): void => { process.stdout.write(JSON.stringify(line) + '\n') }

const host = await createHost<{ files: FileIndex }>({
  listen: [`/ip4/${args.ip}/tcp/0`],
  dialFrom: args.ip,
  services: { files: fileIndex(args.uploadBytesPerSecond != null ? { uploadBytesPerSecond: args.uploadBytesPerSecond } : {}) }
})

/** Bytes per `send()` of the raw stream: a piece's worth, as the seeder sends. */
const RAW_CHUNK_BYTES = 256 * 1024
let raw: { key: string, bytes: Uint8Array } | undefined
/** The raw stream's bytes, made once per seed and size. */
function rawBytes (seed: string, size: number): Uint8Array {
  const key = `${seed}:${size}`
  if (raw?.key !== key) raw = { key, bytes: benchData(seed, size) }
  return raw.bytes
}

let stopping: Promise<void> | undefined
const stop = async (): Promise<void> => {
  stopping ??= (async () => {
    // a host that fails to stop cleanly still ends with this process
    await Promise.resolve(host.stop()).catch(() => {})
    process.exit(0)
  })()
  await stopping
}
process.stdin.on('end', () => { void stop() })
process.on('SIGTERM', () => { void stop() })

async function run (command: FilesPeerCommand): Promise<Record<string, unknown>> {
  switch (command.cmd) {
    case 'add': {
      const fileId = await host.services.files.add(benchData(command.seed, command.bytes), { name: 'bench.bin', provide: false })
      return { fileId }
    }
    case 'raw': {
      // the raw ceiling: one stream, bytes pushed as fast as it drains (the receiver times it).
      // The bytes are as many distinct ones as the file's, held in memory as a seeder holds its
      // pieces: one small chunk sent over and over would be read from the CPU's cache, which no
      // transfer of a 128 MiB file is. Made before the dial, so not timed.
      const bytes = rawBytes(command.seed, command.bytes)
      // the addresses end in /p2p/<peer id>: an open connection to that peer is reused
      const stream = await host.dialProtocol(command.addrs.map(a => multiaddr(a)), RAW_PROTOCOL)
      for (let sent = 0; sent < bytes.byteLength; sent += RAW_CHUNK_BYTES) {
        if (!stream.send(bytes.subarray(sent, sent + RAW_CHUNK_BYTES))) await stream.onDrain()
      }
      await stream.close()
      return {}
    }
    case 'usage':
    {
      const { user, system } = process.cpuUsage()
      return { cpuMs: (user + system) / 1000 }
    }
    case 'stop':
      void stop()
      return {}
  }
}

let buffered = ''
process.stdin.setEncoding('utf8')
process.stdin.on('data', (chunk: string) => {
  buffered += chunk
  let newline: number
  while ((newline = buffered.indexOf('\n')) !== -1) {
    const command: FilesPeerCommand = JSON.parse(buffered.slice(0, newline))
    buffered = buffered.slice(newline + 1)
    run(command).then(
      reply => { print({ id: command.id, ...reply }) },
      (err: any) => { print({ id: command.id, error: String(err?.stack ?? err) }) }
    )
  }
})

print({ ready: true, peerId: host.peerId.toString(), addrs: host.getMultiaddrs().map(String) })
