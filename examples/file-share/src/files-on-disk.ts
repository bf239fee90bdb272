/** The local side of seeding and downloading: which files a path names, safe output names, hashes. */
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { access, constants, readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'

/** Most files one `seed` walks, so a mistaken `seed /` ends with an error instead of never. */
export const MAX_SEED_FILES = 100_000

/**
 * The regular files `paths` name, directories walked recursively (symbolic links to directories
 * are not followed, so a link loop cannot trap the walk). Rejects with one clear message for a
 * path that does not exist or cannot be read.
 */
export async function filesToSeed (paths: string[]): Promise<string[]> {
  const out: string[] = []
  const visit = async (path: string, top: boolean): Promise<void> => {
    let info
    try {
      info = await stat(path)
      if (info.isFile()) await access(path, constants.R_OK)
    } catch (err: any) {
      throw new Error(`cannot read ${path}: ${err.code ?? err.message}`, { cause: err })
    }
    if (info.isFile()) {
      if (out.length >= MAX_SEED_FILES) throw new Error(`more than ${MAX_SEED_FILES} files under the given paths`)
      out.push(path)
    } else if (info.isDirectory()) {
      let entries
      try {
        entries = await readdir(path, { withFileTypes: true })
      } catch (err: any) {
        throw new Error(`cannot read ${path}: ${err.code ?? err.message}`, { cause: err })
      }
      entries.sort((a, b) => a.name.localeCompare(b.name))
      for (const entry of entries) {
        if (entry.isSymbolicLink() && !(await stat(join(path, entry.name)).then(s => s.isFile(), () => false))) continue
        if (entry.isFile() || entry.isDirectory() || entry.isSymbolicLink()) await visit(join(path, entry.name), false)
      }
    } else if (top) {
      throw new Error(`cannot seed ${path}: not a regular file or directory`)
    }
  }
  for (const path of paths) await visit(path, true)
  return out
}

/**
 * A file name from the network made safe to write in a directory: its last path component,
 * without control characters, never `.`/`..`/empty (then `fallback`), at most 255 bytes — a
 * hostile manifest named `../../.bashrc` must not write outside the output directory.
 */
export function safeFileName (name: string, fallback: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what must go
  let base = (name.split(/[\\/]/).pop() ?? '').replace(/[\u0000-\u001f\u007f]/g, '').trim()
  if (base === '' || base === '.' || base === '..') return fallback
  while (Buffer.byteLength(base) > 255) base = base.slice(0, -1)
  return base
}

/** Where `get` writes: `out` itself, or `out/<name>` when `out` is a directory; `./<name>` without `out`. */
export async function outputPath (out: string | undefined, name: string, id: string): Promise<string> {
  const file = safeFileName(name, id)
  if (out == null) return join(process.cwd(), file)
  const info = await stat(out).catch(() => undefined)
  return info?.isDirectory() === true ? join(out, file) : out
}

/** SHA-256 of a file on disk, hex. */
export async function sha256File (path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

