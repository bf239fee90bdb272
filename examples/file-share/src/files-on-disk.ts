/** The local side of seeding and downloading: which files a path names, safe output names, hashes. */
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { access, constants, lstat, readdir, stat } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { UsageError } from './output.ts'

/** Most files one `seed` walks, so a mistaken `seed /` ends with an error instead of never. */
export const MAX_SEED_FILES = 100_000

/**
 * The regular files `paths` name, directories walked recursively (symbolic links to directories
 * are not followed, so a link loop cannot trap the walk). Rejects with a {@link UsageError} (one
 * clear line) for a path that does not exist or cannot be read.
 */
export async function filesToSeed (paths: string[]): Promise<string[]> {
  const out: string[] = []
  const visit = async (path: string, top: boolean): Promise<void> => {
    let info
    try {
      info = await stat(path)
      if (info.isFile()) await access(path, constants.R_OK)
    } catch (err: any) {
      throw new UsageError(`cannot read ${path}: ${errnoWords(err)}`, { cause: err })
    }
    if (info.isFile()) {
      if (out.length >= MAX_SEED_FILES) throw new UsageError(`more than ${MAX_SEED_FILES} files under the given paths`)
      out.push(path)
    } else if (info.isDirectory()) {
      let entries
      try {
        entries = await readdir(path, { withFileTypes: true })
      } catch (err: any) {
        throw new UsageError(`cannot read ${path}: ${errnoWords(err)}`, { cause: err })
      }
      entries.sort((a, b) => a.name.localeCompare(b.name))
      for (const entry of entries) {
        if (entry.isSymbolicLink() && !(await stat(join(path, entry.name)).then(s => s.isFile(), () => false))) continue
        if (entry.isFile() || entry.isDirectory() || entry.isSymbolicLink()) await visit(join(path, entry.name), false)
      }
    } else if (top) {
      throw new UsageError(`cannot seed ${path}: not a regular file or directory`)
    }
  }
  for (const path of paths) await visit(path, true)
  return out
}

/** An fs error in words: `ENOENT` → `no such file or directory`. */
export function errnoWords (err: any): string {
  const words: Record<string, string> = {
    ENOENT: 'no such file or directory',
    EACCES: 'permission denied',
    EPERM: 'permission denied',
    ENOTDIR: 'a part of the path is not a directory',
    ELOOP: 'too many symbolic links',
    ENAMETOOLONG: 'name too long'
  }
  return words[err?.code] ?? err?.code ?? String(err?.message ?? err)
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

/** Where `get` writes, as far as it is known before the manifest names the file. */
export interface OutputTarget {
  /** The directory the file goes in (created if missing: `--out` ended with a slash). */
  dir: string
  /** The file itself, when `--out` named one; else `<dir>/<name from the manifest>`. */
  file?: string
}

/**
 * Read `--out`: a directory when it exists as one or ends with a slash (`downloads/` is a
 * directory to create, never a file named `downloads`), else a file in an existing directory;
 * the current directory without it. Throws a {@link UsageError} naming `--out` for a path that
 * cannot be written.
 */
export async function outputTarget (out: string | undefined, cwd: string = process.cwd()): Promise<OutputTarget> {
  if (out == null) {
    await checkDirectory(cwd, cwd)
    return { dir: cwd }
  }
  const path = resolve(cwd, out)
  const info = await stat(path).catch(() => undefined)
  if (info?.isDirectory() === true || /[\\/]$/.test(out)) {
    if (info != null && !info.isDirectory()) throw new UsageError(`--out: ${out} is not a directory`)
    // the nearest existing ancestor is where the missing directories will be made
    let existing = path
    while ((await stat(existing).catch(() => undefined)) == null && dirname(existing) !== existing) existing = dirname(existing)
    await checkDirectory(existing, out)
    return { dir: path }
  }
  const parent = dirname(path)
  if ((await stat(parent).catch(() => undefined)) == null) throw new UsageError(`--out: no such directory: ${parent} (end --out with / to write into a new directory)`)
  await checkDirectory(parent, out)
  return { dir: parent, file: path }
}

async function checkDirectory (dir: string, out: string): Promise<void> {
  if ((await stat(dir).catch(() => undefined))?.isDirectory() !== true) throw new UsageError(`--out: ${dir} is not a directory`)
  try {
    await access(dir, constants.W_OK)
  } catch {
    throw new UsageError(`--out: cannot write in ${dir} (${out}): permission denied`)
  }
}

/** The path `get` writes for a file called `name` (from the network, so made safe). */
export function targetPath (target: OutputTarget, name: string, id: string): string {
  return target.file ?? join(target.dir, safeFileName(name, id))
}

/** `get` never destroys data: an existing file is replaced only with `--force`, a directory never. */
export async function checkOverwrite (path: string, force: boolean): Promise<void> {
  const info = await lstat(path).catch(() => undefined)
  if (info == null) return
  if (info.isDirectory()) throw new UsageError(`${path} is a directory: choose another --out`)
  if (!force) throw new UsageError(`${path} exists: add --force to overwrite it, or choose another --out`)
}

/** SHA-256 of a file on disk, hex. */
export async function sha256File (path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

