/** `hearsay-share seed <path...>`: add files and serve them (and everything else in the store) until interrupted. */
import { basename } from 'node:path'
import { filesToSeed } from './files-on-disk.ts'
import { formatBytes, type Output } from './output.ts'
import { HEARSAY_DHT_PROTOCOL, startShareNode, waitForProtocolPeer, type ShareNodeOptions } from './share-node.ts'
import { aborted, interruptSignal, interruptedBy } from './signals.ts'

/** How often a seeder reports what it uploaded (when it changed). */
const UPLOAD_REPORT_MS = 2_000

export async function seed (paths: string[], options: ShareNodeOptions, out: Output): Promise<void> {
  const signal = interruptSignal()
  // read the paths before starting anything: an unreadable path is the user's first error
  const files = await filesToSeed(paths)
  const node = await startShareNode(options)
  try {
    // what others can bootstrap from: addresses announced with --announce, and those confirmed
    // (a public address only once AutoNAT or peers' observations confirmed it)
    const addrs = node.getMultiaddrs().map(String)
    const hint = options.listen.some(a => !/\/ip[46]\/(127\.|::1\/)/.test(a)) && options.announce == null
      ? '\n(a public address appears here once peers confirm it; on a server, pass --announce /ip4/<public ip>/tcp/<port>)'
      : ''
    out.event('listening', { peerId: node.peerId.toString(), addrs, announced: options.announce ?? [], dataDir: options.dataDir },
      `hearsay-share ${node.peerId.toString()}\nlistening on:\n${addrs.map(a => `  ${a}`).join('\n')}${hint}`)

    // a provide made before we know any DHT peer reaches no one: join first (bounded)
    if (options.bootstrap.length > 0 && !await waitForProtocolPeer(node, HEARSAY_DHT_PROTOCOL, 15_000, signal)) {
      out.warn('no bootstrap peer answered within 15 s; seeding anyway (peers that reach us can still download)')
    }

    for (const path of files) {
      signal.throwIfAborted()
      // the add's own done event carries what to print: no scan of the whole store per file
      await node.services.files.add(path, {
        name: basename(path),
        signal,
        onProgress: event => {
          if (event.type !== 'files:add:done') return
          const { id, name, size, pieces } = event.detail
          out.event('added', { id, name, size, pieces, path }, `added ${id}  ${name}  (${formatBytes(size)}, ${pieces} pieces)`)
        }
      })
    }
    const complete = node.services.files.list().filter(f => f.complete)
    out.event('seeding', { files: complete.length, added: files.length },
      `seeding ${complete.length} file${complete.length === 1 ? '' : 's'} (${files.length} added now); Ctrl-C to stop`)

    let reported = 0
    const timer = setInterval(() => {
      const stats = node.services.files.stats()
      if (stats.uploadedBytes === reported) return
      reported = stats.uploadedBytes
      out.event('upload', { uploadedBytes: stats.uploadedBytes, uploadedPieces: stats.uploadedPieces, activeUploads: stats.activeUploads },
        `uploaded ${formatBytes(stats.uploadedBytes)} (${stats.uploadedPieces} pieces), ${stats.activeUploads} active`)
    }, UPLOAD_REPORT_MS)
    timer.unref()
    await aborted(signal)
    clearInterval(timer)
  } finally {
    await node.stop()
  }
  out.event('stopped', { signal: interruptedBy() }, 'stopped')
}
