/** `hearsay-share get <id>`: download a file from the network, verify it, write it atomically. */
import { stat } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { NotFoundError, parseFileId, type GetProgressEvents } from '@hearsay/file-index'
import { outputPath, sha256File } from './files-on-disk.ts'
import { formatBytes, shortPeer, UsageError, type Output } from './output.ts'
import { progressView } from './progress.ts'
import { HEARSAY_DHT_PROTOCOL, startShareNode, waitForProtocolPeer, type ShareNodeOptions } from './share-node.ts'
import { aborted, interruptSignal, interruptedBy } from './signals.ts'

export interface GetCommandOptions {
  /** A file path, or a directory to write `<name>` in. @default `./<name>` */
  out?: string
  /** Seconds to wait for some peer to send the file's manifest. */
  timeout: number
  /** Keep serving the file (and the rest of the store) after the download, until interrupted. */
  keepSeeding?: boolean
}

export async function get (id: string, options: GetCommandOptions, nodeOptions: ShareNodeOptions, out: Output): Promise<void> {
  try {
    parseFileId(id)
  } catch {
    throw new UsageError(`not a hearsay file id: "${id}" (ids are printed by "hearsay-share seed" and "search")`)
  }
  if (options.out != null) {
    const parent = (await stat(options.out).catch(() => undefined))?.isDirectory() === true ? options.out : dirname(options.out)
    if ((await stat(parent).catch(() => undefined))?.isDirectory() !== true) throw new Error(`--out: no such directory: ${parent}`)
  }
  const signal = interruptSignal()
  const node = await startShareNode(nodeOptions)
  const files = node.services.files
  const view = progressView(out)
  try {
    out.event('listening', { peerId: node.peerId.toString(), addrs: node.getMultiaddrs().map(String), dataDir: nodeOptions.dataDir })
    const local = files.list().find(f => f.id === id)
    if (local != null && local.piecesHave > 0) {
      out.event('resume', { id, piecesHave: local.piecesHave, pieces: local.pieces },
        local.complete ? `${local.name} is complete in ${nodeOptions.dataDir}` : `resuming ${local.name}: ${local.piecesHave} of ${local.pieces} pieces already verified`)
    } else {
      out.info(`looking for ${id}…`)
    }
    if (nodeOptions.bootstrap.length > 0) await waitForProtocolPeer(node, HEARSAY_DHT_PROTOCOL, 15_000, signal)

    const started = performance.now()
    const onProgress = (event: GetProgressEvents): void => {
      if (event.type === 'files:get:manifest') {
        const d = event.detail
        out.event('manifest', { ...d }, `${d.name}  ${formatBytes(d.size)} in ${d.pieces} pieces (manifest from ${shortPeer(d.from)})`)
      } else if (event.type === 'files:get:peer') {
        out.event('peer', { ...event.detail })
      } else if (event.type === 'files:get:progress') {
        view.update(event.detail)
      } else if (event.type === 'files:get:bad-piece') {
        const d = event.detail
        out.warn(`piece ${d.index} from ${d.peer} failed verification: peer reported, fetching the piece elsewhere`)
      }
    }
    let result
    try {
      result = await files.get(id, { signal, manifestTimeoutMs: options.timeout * 1000, onProgress })
    } catch (err: any) {
      if (signal.aborted) {
        view.stop()
        const kept = files.list().find(f => f.id === id)
        out.event('interrupted', { id, piecesHave: kept?.piecesHave ?? 0, pieces: kept?.pieces },
          `\ninterrupted: ${kept?.piecesHave ?? 0} of ${kept?.pieces ?? '?'} pieces kept; run the same command again to resume`)
      }
      if (err instanceof NotFoundError) throw new Error(`${err.message} (is a seeder running and reachable through --bootstrap?)`, { cause: err })
      throw err
    }
    view.stop()
    const seconds = (performance.now() - started) / 1000
    // the download is in the store now; this second call writes it out (temporary file, every
    // piece re-verified, fsync, rename), under the name the manifest gave it
    const path = resolve(await outputPath(options.out, result.name, id))
    await files.get(id, { out: path, signal, dht: false })
    const sha256 = await sha256File(path)
    const fetchedBytes = Object.values(result.fromPeers).reduce((a, b) => a + b, 0)
    const rate = seconds > 0 ? fetchedBytes / seconds : 0
    out.event('done', {
      id,
      name: result.name,
      size: result.size,
      pieces: result.pieces,
      path,
      sha256,
      piecesFetched: result.piecesFetched,
      fromPeers: result.fromPeers,
      duplicateBytes: result.duplicateBytes,
      seconds: Number(seconds.toFixed(3)),
      rate: Math.round(rate)
    }, [
      `saved ${path}`,
      `  sha256 ${sha256}`,
      result.piecesFetched === 0
        ? '  (already complete here; nothing fetched)'
        : `  ${result.piecesFetched} of ${result.pieces} pieces in ${seconds.toFixed(1)} s (${formatBytes(rate)}/s) from ${Object.keys(result.fromPeers).length} peers:`,
      ...Object.entries(result.fromPeers).map(([peer, bytes]) => `    ${shortPeer(peer)}  ${formatBytes(bytes)} (${fetchedBytes > 0 ? Math.round(100 * bytes / fetchedBytes) : 0}%)`)
    ].join('\n'))

    if (options.keepSeeding === true) {
      out.event('seeding', { files: files.list().filter(f => f.complete).length }, 'seeding; Ctrl-C to stop')
      await aborted(signal)
      out.event('stopped', { signal: interruptedBy() }, 'stopped')
    }
  } finally {
    view.stop()
    await node.stop()
  }
}
