/** `hearsay-share seed <path...>`: add files and serve them (and everything else in the store) until interrupted. */
import { basename } from 'node:path'
import { bootstrapAddrs, describeBootstrapAddrs, watchBootstrapAddrs } from '../../shared/src/bootstrap-addrs.ts'
import { filesToSeed } from './files-on-disk.ts'
import { count, formatBytes, type Output } from './output.ts'
import { HEARSAY_DHT_PROTOCOL, joinNetwork, startShareNode, type ShareNodeOptions } from './share-node.ts'
import { aborted } from '@hearsay/sansio/adapter'
import { interruptSignal, interruptedBy } from './signals.ts'

/** Longest wait to join through the bootstrap peers before adding files. */
const JOIN_TIMEOUT_MS = 15_000
/** How often a seeder reports what it uploaded (when it changed). */
const UPLOAD_REPORT_MS = 2_000

export async function seed (paths: string[], options: ShareNodeOptions, out: Output): Promise<void> {
  const signal = interruptSignal()
  // read the paths before starting anything: an unreadable path is the user's first error
  const files = await filesToSeed(paths)
  const node = await startShareNode(options)
  try {
    const addrs = node.getMultiaddrs().map(String)
    const bootstrap = bootstrapAddrs(node.getMultiaddrs(), options.announce)
    // the addresses are what other peers need (--bootstrap): shown even with --quiet
    out.result('listening', { peerId: node.peerId.toString(), addrs, bootstrap, dataDir: options.dataDir }, out.verbosity === 'quiet'
      ? addrs.join('\n')
      : `hearsay-share ${node.peerId.toString()}\nothers can --bootstrap from:\n${describeBootstrapAddrs(bootstrap)}`)
    // a public address appears once peers confirm it, a relay address once a relay takes us
    const unwatch = watchBootstrapAddrs(node, options.announce ?? [], list => {
      out.event('addresses', { bootstrap: list }, `others can now --bootstrap from:\n${describeBootstrapAddrs(list)}`)
    })

    // a provide made before we know any DHT peer reaches no one: join first (bounded)
    if (options.bootstrap.length > 0) {
      const joined = await joinNetwork(node, options.bootstrap, HEARSAY_DHT_PROTOCOL, JOIN_TIMEOUT_MS, signal)
      for (const line of joined.unreachable) out.warn(`cannot reach --bootstrap ${line}; seeding anyway (peers that reach this node can still download)`)
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
          out.result('added', { id, name, size, pieces, path }, out.verbosity === 'quiet' ? `${id}  ${name}` : `added ${id}  ${name}  (${formatBytes(size)}, ${count(pieces, 'piece')})`)
        }
      })
    }
    const complete = node.services.files.list().filter(f => f.complete)
    out.event('seeding', { files: complete.length, added: files.length },
      `seeding ${count(complete.length, 'file')} (${files.length} added now); Ctrl-C to stop`)

    let reported = 0
    const timer = setInterval(() => {
      const stats = node.services.files.stats()
      if (stats.uploadedBytes === reported) return
      reported = stats.uploadedBytes
      out.event('upload', { uploadedBytes: stats.uploadedBytes, uploadedPieces: stats.uploadedPieces, activeUploads: stats.activeUploads },
        `uploaded ${formatBytes(stats.uploadedBytes)} (${count(stats.uploadedPieces, 'piece')}), ${stats.activeUploads} active`)
    }, UPLOAD_REPORT_MS)
    timer.unref()
    await aborted(signal)
    clearInterval(timer)
    unwatch()
  } finally {
    await node.stop()
  }
  out.event('stopped', { signal: interruptedBy() }, 'stopped')
}
