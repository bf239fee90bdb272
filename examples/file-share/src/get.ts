/** `hearsay-share get <id>`: download a file from the network, verify it, write it atomically. */
import { mkdir } from 'node:fs/promises'
import { NotFoundError, parseFileId, type GetProgressEvents } from '@hearsay/file-index'
import { checkOverwrite, outputTarget, sha256File, targetPath } from './files-on-disk.ts'
import { count, formatBytes, shortPeer, UsageError, type Output } from './output.ts'
import { progressView } from './progress.ts'
import { HEARSAY_DHT_PROTOCOL, joinNetwork, startShareNode, type Joined, type ShareNodeOptions } from './share-node.ts'
import { aborted } from '@hearsay/sansio/adapter'
import { interruptSignal, interruptedBy } from './signals.ts'

export interface GetCommandOptions {
  /** A file path, or a directory (existing, or ending in a slash) to write `<name>` in. @default `./<name>` */
  out?: string
  /** Replace a file that already exists at the output path. */
  force?: boolean
  /**
   * Seconds: bounds finding the file (joining through the bootstrap peers and getting its
   * manifest, together) and then every stretch in which no piece arrives.
   */
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
  // everything the user can get wrong about the output is found before any networking
  const target = await outputTarget(options.out)
  const force = options.force === true
  if (target.file != null) await checkOverwrite(target.file, force)

  const timeoutMs = options.timeout * 1000
  const interrupt = interruptSignal()
  // aborts the download when the manifest names a file that is already there
  const refuse = new AbortController()
  let refusal: Error | undefined
  const signal = AbortSignal.any([interrupt, refuse.signal])

  const node = await startShareNode(nodeOptions)
  // the clock of --timeout starts once the node is up: starting it is no part of finding the file
  const started = performance.now()
  const files = node.services.files
  const view = progressView(out)
  try {
    out.event('listening', { peerId: node.peerId.toString(), addrs: node.getMultiaddrs().map(String), dataDir: nodeOptions.dataDir })
    const local = files.list().find(f => f.id === id)
    if (local != null && local.piecesHave > 0) {
      out.event('resume', { id, piecesHave: local.piecesHave, pieces: local.pieces },
        local.complete ? `${local.name} is complete in ${nodeOptions.dataDir}` : `resuming ${local.name}: ${local.piecesHave} of ${count(local.pieces, 'piece')} already verified`)
    } else {
      out.info(`looking for ${id}…`)
    }
    let joined: Joined = { joined: true, unreachable: [] }
    if (nodeOptions.bootstrap.length > 0 && local?.complete !== true) {
      // an unreachable bootstrap peer is named in the error if the file is not found
      joined = await joinNetwork(node, nodeOptions.bootstrap, HEARSAY_DHT_PROTOCOL, timeoutMs - (performance.now() - started), interrupt)
    }

    const downloadStarted = performance.now()
    const onProgress = (event: GetProgressEvents): void => {
      if (event.type === 'files:get:manifest') {
        const d = event.detail
        out.event('manifest', { ...d }, `${d.name}  ${formatBytes(d.size)} in ${count(d.pieces, 'piece')} (manifest from ${shortPeer(d.from)})`)
        // the manifest names the file: refuse now, not after the whole download
        checkOverwrite(targetPath(target, d.name, id), force).catch((err: Error) => {
          refusal = err
          refuse.abort(err)
        })
      } else if (event.type === 'files:get:peer') {
        out.event('peer', { ...event.detail }, undefined)
        out.detail(`peer ${shortPeer(event.detail.peer)} joined with ${count(event.detail.pieces, 'piece')}`)
      } else if (event.type === 'files:get:progress') {
        view.update(event.detail)
      } else if (event.type === 'files:get:bad-piece') {
        const d = event.detail
        out.warn(`piece ${d.index} from ${d.peer} failed verification: peer reported, fetching the piece elsewhere`)
      }
    }
    let result
    try {
      result = await files.get(id, {
        signal,
        // joining used part of the budget for finding the file
        manifestTimeoutMs: Math.max(timeoutMs - (performance.now() - started), 0),
        idleTimeoutMs: timeoutMs,
        onProgress
      })
    } catch (err: any) {
      view.stop()
      if (refusal != null) throw refusal
      if (interrupt.aborted) {
        const kept = files.list().find(f => f.id === id)
        out.event('interrupted', { id, piecesHave: kept?.piecesHave ?? 0, pieces: kept?.pieces },
          `interrupted: ${kept?.piecesHave ?? 0} of ${kept?.pieces ?? '?'} pieces kept; run the same command again to resume`)
      }
      if (err instanceof NotFoundError) throw notFound(id, options.timeout, joined, files.list().find(f => f.id === id), err)
      throw err
    }
    view.stop()
    const seconds = (performance.now() - downloadStarted) / 1000
    // the download is in the store now; this second call writes it out (temporary file, every
    // piece re-verified, fsync, rename), under the name the manifest gave it
    const path = targetPath(target, result.name, id)
    await checkOverwrite(path, force)
    await mkdir(target.dir, { recursive: true })
    await files.get(id, { out: path, signal: interrupt, dht: false })
    const sha256 = await sha256File(path)
    const fetchedBytes = Object.values(result.fromPeers).reduce((a, b) => a + b, 0)
    const rate = seconds > 0 ? fetchedBytes / seconds : 0
    const peers = Object.keys(result.fromPeers).length
    out.result('done', {
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
    }, out.verbosity === 'quiet'
      ? path
      : [
          `saved ${path}`,
          `  sha256 ${sha256}`,
          result.piecesFetched === 0
            ? '  (already complete here; nothing fetched)'
            : `  ${result.piecesFetched} of ${count(result.pieces, 'piece')} in ${seconds.toFixed(1)} s (${formatBytes(rate)}/s) from ${count(peers, 'peer')}:`,
          ...Object.entries(result.fromPeers).map(([peer, bytes]) => `    ${shortPeer(peer)}  ${formatBytes(bytes)} (${fetchedBytes > 0 ? Math.round(100 * bytes / fetchedBytes) : 0}%)`)
        ].join('\n'))

    if (options.keepSeeding === true) {
      out.event('seeding', { files: files.list().filter(f => f.complete).length }, 'seeding; Ctrl-C to stop')
      await aborted(interrupt)
      out.event('stopped', { signal: interruptedBy() }, 'stopped')
    }
  } finally {
    view.stop()
    await node.stop()
  }
}

/** Why nobody sent the file, in one line: the timeout, and the bootstrap peers nobody answered at. */
function notFound (id: string, timeout: number, joined: Joined, kept: { piecesHave: number, pieces: number } | undefined, cause: Error): Error {
  if (kept != null && kept.pieces > 0) {
    return new Error(`no piece of ${id} arrived for ${timeout} s (--timeout); ${kept.piecesHave} of ${count(kept.pieces, 'piece')} kept: run the same command again to resume`, { cause })
  }
  const why = joined.unreachable.length > 0
    ? `cannot reach --bootstrap ${joined.unreachable.join('; ')}`
    : 'is a seeder running and reachable through --bootstrap?'
  return new Error(`no peer sent ${id} within ${timeout} s (--timeout): ${why}`, { cause })
}
