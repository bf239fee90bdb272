/** `hearsay-share list`: the files in the store, complete and partial. */
import { count, formatBytes, type Output } from './output.ts'
import { startShareNode, type ShareNodeOptions } from './share-node.ts'
import { table } from './table.ts'

export async function list (nodeOptions: ShareNodeOptions, out: Output): Promise<void> {
  // no bootstrap and no listening: reading the store needs no network
  const node = await startShareNode({ ...nodeOptions, listen: [], bootstrap: [] })
  try {
    const files = node.services.files.list()
    for (const f of files) out.event('file', { ...f })
    if (!out.json && files.length > 0) {
      const have = (f: typeof files[number]): string => f.complete ? 'complete' : `${Math.floor(100 * f.piecesHave / Math.max(f.pieces, 1))}%`
      out.result('files', {}, table(['HAVE', 'SIZE', 'NAME', 'ID'], files.map(f => [have(f), formatBytes(f.size), f.name, f.id])))
    }
    out.event('done', { files: files.length }, files.length === 0 ? `no files in ${nodeOptions.dataDir}` : `${count(files.length, 'file')} in ${nodeOptions.dataDir}`)
  } finally {
    await node.stop()
  }
}
