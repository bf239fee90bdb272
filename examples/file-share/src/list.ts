/** `hearsay-share list`: the files in the store, complete and partial. */
import { formatBytes, type Output } from './output.ts'
import { startShareNode, type ShareNodeOptions } from './share-node.ts'

export async function list (nodeOptions: ShareNodeOptions, out: Output): Promise<void> {
  // no bootstrap and no listening: reading the store needs no network
  const node = await startShareNode({ ...nodeOptions, listen: [], bootstrap: [] })
  try {
    const files = node.services.files.list()
    for (const f of files) {
      out.event('file', { ...f }, `${f.complete ? 'complete' : `${Math.floor(100 * f.piecesHave / Math.max(f.pieces, 1))}%`.padStart(8)}  ${formatBytes(f.size).padStart(9)}  ${f.name}  ${f.id}`)
    }
    out.event('done', { files: files.length }, files.length === 0 ? `no files in ${nodeOptions.dataDir}` : `${files.length} file${files.length === 1 ? '' : 's'} in ${nodeOptions.dataDir}`)
  } finally {
    await node.stop()
  }
}
