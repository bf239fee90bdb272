/**
 * Standalone proof: every publishable package works from its npm tarball, outside this
 * workspace, next to plain `libp2p`, and every README snippet runs as written.
 *
 * 1. `pnpm pack` every `packages/*` into a temporary directory (pnpm rewrites `workspace:*`
 *    to the real versions, as `pnpm publish` would);
 * 2. extract the ```ts snippets of each package README (a snippet right after a
 *    `<!-- standalone: skip -->` line is a fragment and is not run);
 * 3. build a scratch pnpm workspace in the OS temp dir with one project per package that depends
 *    only on what its snippets import: the package's tarball, plain `libp2p` and the libp2p
 *    modules the snippet names. Snippets of a package other than `@hearsay/host` that use
 *    `createHost` go to a separate `<package>+host` project, so each plain project proves the
 *    package composes on a plain `createLibp2p` node without `@hearsay/host`;
 * 4. `pnpm install --offline --frozen-lockfile` from the workspace's store with a lockfile cut from the
 *    workspace's own (no network, no registry metadata: every version is
 *    already there after the workspace's own install), overriding every `@hearsay/*` with its
 *    tarball so no registry lookup of unpublished versions happens;
 * 5. typecheck every project against the packed `.d.ts` files (`tsc --noEmit`), then run every
 *    snippet on this Node (>= 22, types stripped) and expect exit 0 within a timeout.
 *
 * Usage: `node scripts/standalone.ts [--keep] [--only gossip,scoring]` (after `tsc -b`; the
 * root script `pnpm test:standalone` builds first). Exits 1 if anything failed.
 */
import { spawn, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository root. */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')

/** The marker that exempts the next ```ts block of a README from being run. */
export const SKIP_MARKER = '<!-- standalone: skip -->'

/** One ```ts block of a package README. */
export interface Snippet {
  /** Package directory name under `packages/`, e.g. `gossip`. */
  pkg: string
  /** 1-based position among the package's runnable snippets. */
  index: number
  /** Line of the opening fence in the README (1-based). */
  line: number
  code: string
  /** Bare package names the snippet imports (`@hearsay/gossip`, `libp2p`; no `node:` builtins). */
  imports: string[]
}

/** What happened to one snippet. */
export interface SnippetResult {
  pkg: string
  index: number
  line: number
  project: string
  exitCode: number | null
  signal: string | null
  timedOut: boolean
  ms: number
  output: string
}

/** What happened to one scratch project's typecheck. */
export interface TypecheckResult {
  project: string
  ok: boolean
  ms: number
  output: string
}

/** The contents of one packed tarball, as checked for publishing. */
export interface PackedPackage {
  name: string
  version: string
  dir: string
  tarball: string
  files: string[]
  /** The package.json inside the tarball (`workspace:*` already rewritten). */
  manifest: Record<string, any>
}

/** Everything a run found. */
export interface StandaloneReport {
  scratch: string
  packed: PackedPackage[]
  snippets: Snippet[]
  skipped: Array<{ pkg: string, line: number }>
  projects: Record<string, Record<string, string>>
  typecheck: TypecheckResult[]
  results: SnippetResult[]
  timings: Record<string, number>
}

/** Options of {@link runStandalone}. */
export interface StandaloneOptions {
  /** Package directory names to test; all of `packages/*` by default. */
  only?: string[]
  /** Keep the scratch directory for inspection. */
  keep?: boolean
  /** Per-snippet time limit. */
  snippetTimeoutMs?: number
  /** Progress lines go here. */
  log?: (line: string) => void
}

const HOST = '@hearsay/host'

/** Extract the runnable and skipped ```ts snippets of one README. */
export function extractSnippets (pkg: string, readme: string): { snippets: Snippet[], skipped: Array<{ pkg: string, line: number }> } {
  const lines = readme.split('\n')
  const snippets: Snippet[] = []
  const skipped: Array<{ pkg: string, line: number }> = []
  for (let i = 0; i < lines.length; i++) {
    if (!/^```(ts|typescript)\s*$/.test(lines[i])) continue
    const start = i
    const body: string[] = []
    for (i++; i < lines.length && !lines[i].startsWith('```'); i++) body.push(lines[i])
    if (start > 0 && lines[start - 1].trim() === SKIP_MARKER) {
      skipped.push({ pkg, line: start + 1 })
      continue
    }
    const code = body.join('\n') + '\n'
    snippets.push({ pkg, index: snippets.length + 1, line: start + 1, code, imports: importsOf(code) })
  }
  return { snippets, skipped }
}

/** Bare package names imported by `code` (`@scope/name/sub` → `@scope/name`). */
export function importsOf (code: string): string[] {
  const names = new Set<string>()
  for (const match of code.matchAll(/(?:^|\s)(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)/g)) {
    const spec = match[1] ?? match[2]
    if (spec.startsWith('node:') || spec.startsWith('.') || spec.startsWith('/')) continue
    const parts = spec.split('/')
    names.add(spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0])
  }
  return [...names].sort()
}

/** Run a command to completion, capturing output; never throws for a non-zero exit. */
async function run (command: string, args: string[], options: { cwd: string, timeoutMs: number, env?: NodeJS.ProcessEnv }): Promise<{ code: number | null, signal: string | null, timedOut: boolean, ms: number, output: string }> {
  const t0 = performance.now()
  return await new Promise((resolve, reject) => {
    // a process group of its own, so a timeout kills the snippet and anything it spawned
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
    let output = ''
    const append = (chunk: Buffer): void => {
      // keep the head and the tail of very chatty output: enough to diagnose, bounded memory
      output += chunk.toString()
      if (output.length > 200_000) output = output.slice(0, 50_000) + '\n…\n' + output.slice(-50_000)
    }
    child.stdout.on('data', append)
    child.stderr.on('data', append)
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      try { process.kill(-child.pid!, 'SIGKILL') } catch { child.kill('SIGKILL') }
    }, options.timeoutMs)
    child.on('error', (err) => { clearTimeout(timer); reject(err) })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, timedOut, ms: Math.round(performance.now() - t0), output })
    })
  })
}

/** How to call this project's pinned pnpm: the one running us if any, else through npx. */
export function pnpmCommand (): [string, string[]] {
  const execPath = process.env.npm_execpath
  if (execPath != null && /pnpm/.test(execPath) && existsSync(execPath)) return [process.execPath, [execPath]]
  return ['npx', ['--yes', 'pnpm@10.34.9']]
}

async function pnpm (args: string[], cwd: string, timeoutMs: number): Promise<string> {
  const [command, prefix] = pnpmCommand()
  const result = await run(command, [...prefix, ...args], { cwd, timeoutMs })
  if (result.code !== 0) throw new Error(`pnpm ${args.join(' ')} failed (${result.timedOut ? 'timed out' : `exit ${result.code}`}):\n${result.output}`)
  return result.output
}

/** Pack every package under `packages/` (one recursive `pnpm pack`) and return what each tarball holds. */
async function packAll (dest: string, dirOf: Map<string, string>): Promise<PackedPackage[]> {
  // --json: pnpm lists each tarball's path and files, so nothing is guessed from names
  const out = await pnpm(['-r', '--filter', './packages/*', 'pack', '--pack-destination', dest, '--json'], ROOT, 180_000)
  const infos: Array<{ name: string, version: string, filename: string, files: Array<{ path: string }> }> = JSON.parse(out.slice(out.indexOf('[')))
  const packed: PackedPackage[] = []
  for (const info of infos) {
    const manifest = JSON.parse(spawnSync('tar', ['xzf', info.filename, '-O', 'package/package.json'], { encoding: 'utf8' }).stdout)
    if (manifest.private === true) continue
    packed.push({
      name: info.name,
      version: info.version,
      dir: dirOf.get(info.name) ?? info.name,
      tarball: info.filename,
      files: info.files.map(f => f.path),
      manifest
    })
  }
  return packed.sort((a, b) => a.name.localeCompare(b.name))
}

/** The parts of the workspace's `pnpm-lock.yaml` (v9) a scratch lockfile is built from. */
interface WorkspaceLock {
  /** The `settings:` block, verbatim. */
  settings: string
  /** importer path → dependency name → `{ specifier, version }` (dependencies and devDependencies). */
  importers: Map<string, Map<string, { specifier: string, version: string, dev: boolean }>>
  /** `packages:` entries, verbatim, by key (`name@version`). */
  packages: Map<string, string>
  /** `snapshots:` entries, verbatim, with the keys of the snapshots they depend on. */
  snapshots: Map<string, { text: string, deps: string[] }>
}

const unquote = (text: string): string => text.trim().replace(/^'(.*)'$/, '$1').replace(/''/g, "'")
const quoteKey = (key: string): string => /^[\w.-][\w./-]*$/.test(key) ? key : `'${key.replace(/'/g, "''")}'`

/** The snapshot key a dependency line `name: version` of the lockfile points at. */
function depKey (name: string, version: string): string | undefined {
  if (version.startsWith('link:')) return undefined
  // an alias (`string-width-cjs: string-width@4.2.3`) names its target in full
  return /^\d/.test(version) || version.startsWith('file:') ? `${name}@${version}` : version
}

/** Read the subset of pnpm's lockfile format v9 that a scratch lockfile needs (two-space indents, one entry per key). */
export function parseLockfile (text: string): WorkspaceLock {
  const lock: WorkspaceLock = { settings: '', importers: new Map(), packages: new Map(), snapshots: new Map() }
  let section = ''
  let importer: Map<string, { specifier: string, version: string, dev: boolean }> | undefined
  let kind = ''
  let dep: { specifier: string, version: string, dev: boolean } | undefined
  let entry: { key: string, lines: string[] } | undefined
  const flush = (): void => {
    if (entry == null) return
    const body = entry.lines.join('\n').replace(/\n+$/, '')
    if (section === 'packages') lock.packages.set(entry.key, body)
    else {
      const deps: string[] = []
      let inDeps = false
      for (const line of entry.lines.slice(1)) {
        if (/^ {4}\S/.test(line)) inDeps = /^ {4}(dependencies|optionalDependencies):/.test(line)
        else if (inDeps && /^ {6}\S/.test(line)) {
          const at = line.indexOf(': ', 6)
          const key = depKey(unquote(line.slice(6, at)), unquote(line.slice(at + 2)))
          if (key != null) deps.push(key)
        }
      }
      lock.snapshots.set(entry.key, { text: body, deps })
    }
    entry = undefined
  }
  for (const line of text.split('\n')) {
    if (/^\S/.test(line)) {
      flush()
      section = line.replace(/:.*$/, '')
      if (section === 'settings') lock.settings = line
      continue
    }
    if (section === 'settings') { if (line.trim() !== '') lock.settings += '\n' + line; continue }
    if (section === 'importers') {
      if (/^ {2}\S/.test(line)) { importer = new Map(); lock.importers.set(unquote(line.trim().replace(/:( \{\})?$/, '')), importer) } else if (/^ {4}\S/.test(line)) kind = line.trim().replace(/:$/, '')
      else if (/^ {6}\S/.test(line) && (kind === 'dependencies' || kind === 'devDependencies')) {
        dep = { specifier: '', version: '', dev: kind === 'devDependencies' }
        importer!.set(unquote(line.trim().replace(/:$/, '')), dep)
      } else if (/^ {8}(specifier|version): /.test(line) && dep != null) {
        const [field, ...rest] = line.trim().split(': ')
        dep[field as 'specifier' | 'version'] = unquote(rest.join(': '))
      }
      continue
    }
    if (section === 'packages' || section === 'snapshots') {
      if (/^ {2}\S/.test(line)) { flush(); entry = { key: unquote(line.trim().replace(/:( \{\})?$/, '')), lines: [line] } } else if (entry != null) entry.lines.push(line)
    }
  }
  flush()
  return lock
}

/**
 * A lockfile for the scratch workspace, cut from the workspace's own: the same resolved version
 * of every registry package, and the tarballs with their integrity. With it `pnpm install
 * --offline --frozen-lockfile` needs only the store, not the registry metadata cache (which a
 * frozen install, as in CI, never fills).
 */
async function scratchLockfile (lock: WorkspaceLock, packed: PackedPackage[], projects: Record<string, Record<string, string>>, devDeps: Record<string, string>): Promise<{ text: string, specifiers: Map<string, string> }> {
  const byName = new Map(packed.map(p => [p.name, p]))
  const tarballRef = (p: PackedPackage): string => `file:tarballs/${basename(p.tarball)}`
  const hearsayKey = (p: PackedPackage): string => `${p.name}@${tarballRef(p)}`
  // the version the workspace resolved for a registry dependency, from the first importer that has it
  const order = [...lock.importers.keys()].sort((a, b) => Number(b.startsWith('packages/')) - Number(a.startsWith('packages/')))
  const resolved = (name: string): { specifier: string, version: string } => {
    for (const path of order) {
      const d = lock.importers.get(path)!.get(name)
      if (d != null && !d.version.startsWith('link:')) return d
    }
    throw new Error(`the workspace lockfile resolves no version of ${name}`)
  }
  const wanted = new Set<string>()
  const specifiers = new Map<string, string>()
  const importers: string[] = ['  .: {}']
  for (const [project, deps] of Object.entries(projects)) {
    const block = [`  ${quoteKey(project)}:`]
    for (const [field, list] of [['dependencies', deps], ['devDependencies', devDeps]] as const) {
      block.push(`    ${field}:`)
      for (const name of Object.keys(list).sort()) {
        const p = byName.get(name)
        let specifier: string, version: string
        if (p != null) {
          specifier = list[name]
          version = tarballRef(p)
          wanted.add(hearsayKey(p))
        } else {
          ({ specifier, version } = resolved(name))
          specifiers.set(name, specifier)
          wanted.add(depKey(name, version)!)
        }
        block.push(`      ${quoteKey(name)}:`, `        specifier: ${quoteKey(specifier)}`, `        version: ${quoteKey(version)}`)
      }
    }
    importers.push(block.join('\n'))
  }
  // every tarball: its integrity, and its dependencies as the workspace resolved them
  const packages: string[] = []
  const snapshots: string[] = []
  for (const p of packed) {
    const integrity = 'sha512-' + createHash('sha512').update(await readFile(p.tarball)).digest('base64')
    const engines = Object.entries<string>(p.manifest.engines ?? {}).map(([k, v]) => `${k}: ${quoteKey(v)}`).join(', ')
    packages.push([
      `  ${quoteKey(hearsayKey(p))}:`,
      `    resolution: {integrity: ${integrity}, tarball: ${tarballRef(p)}}`,
      `    version: ${p.version}`,
      ...(engines !== '' ? [`    engines: {${engines}}`] : []),
      ...(p.manifest.bin != null ? ['    hasBin: true'] : [])
    ].join('\n'))
    const own = lock.importers.get(`packages/${p.dir}`) ?? new Map()
    const deps: string[] = []
    for (const [name, d] of [...own.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      if (d.dev) continue
      const sibling = byName.get(name)
      const version = sibling != null ? tarballRef(sibling) : d.version
      deps.push(`      ${quoteKey(name)}: ${quoteKey(version)}`)
      if (sibling == null) wanted.add(depKey(name, version)!)
    }
    snapshots.push(deps.length === 0 ? `  ${quoteKey(hearsayKey(p))}: {}` : [`  ${quoteKey(hearsayKey(p))}:`, '    dependencies:', ...deps].join('\n'))
  }
  // the closure of registry packages those need
  const seen = new Set<string>()
  const queue = [...wanted].filter(k => !packed.some(p => hearsayKey(p) === k))
  while (queue.length > 0) {
    const key = queue.pop()!
    if (seen.has(key)) continue
    seen.add(key)
    const snap = lock.snapshots.get(key)
    const pkg = lock.packages.get(key.replace(/\(.*$/, ''))
    if (snap == null || pkg == null) throw new Error(`the workspace lockfile has no entry for ${key}`)
    snapshots.push(snap.text)
    queue.push(...snap.deps)
  }
  const pkgKeys = new Set([...seen].map(k => k.replace(/\(.*$/, '')))
  for (const key of [...pkgKeys].sort()) packages.push(lock.packages.get(key)!)
  const overrides = packed.map(p => `  ${quoteKey(p.name)}: ${tarballRef(p)}`)
  const text = [
    "lockfileVersion: '9.0'", '', lock.settings, '', 'overrides:', ...overrides, '',
    'importers:', '', importers.join('\n\n'), '',
    'packages:', '', packages.join('\n\n'), '',
    'snapshots:', '', snapshots.join('\n\n'), ''
  ].join('\n')
  return { text, specifiers }
}

const TSCONFIG = {
  compilerOptions: {
    target: 'ES2024',
    lib: ['ES2024'],
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    types: ['node'],
    strict: true,
    noEmit: true,
    // the snippets are checked against our packed .d.ts, not third-party declarations
    skipLibCheck: true,
    erasableSyntaxOnly: true,
    verbatimModuleSyntax: true
  },
  include: ['*.ts']
}

/**
 * Pack, install into a scratch workspace outside this repository, typecheck and run every
 * README snippet. Resolves with a report; check `results` and `typecheck` for failures.
 */
export async function runStandalone (options: StandaloneOptions = {}): Promise<StandaloneReport> {
  const log = options.log ?? ((line: string) => { console.log(line) })
  const timings: Record<string, number> = {}
  const t0 = performance.now()
  const lap = (name: string, since: number): number => { timings[name] = Math.round(performance.now() - since); return performance.now() }

  const allPkgs = (await readdir(join(ROOT, 'packages'))).filter(d => existsSync(join(ROOT, 'packages', d, 'package.json'))).sort()
  const pkgs = options.only ?? allPkgs
  for (const p of pkgs) if (!allPkgs.includes(p)) throw new Error(`no package packages/${p}`)

  const scratch = await mkdtemp(join(tmpdir(), 'hearsay-standalone-'))
  if (relative(ROOT, scratch).split(/[\\/]/)[0] !== '..') throw new Error(`scratch dir ${scratch} is inside the repository`)
  log(`scratch project: ${scratch}`)
  try {
    // 1. pack: every package, since a tested package's tarball depends on the others' tarballs
    let t = performance.now()
    const tarballs = join(scratch, 'tarballs')
    await mkdir(tarballs)
    const dirOf = new Map<string, string>()
    for (const d of allPkgs) dirOf.set(JSON.parse(await readFile(join(ROOT, 'packages', d, 'package.json'), 'utf8')).name, d)
    const packed = await packAll(tarballs, dirOf)
    t = lap('pack', t)
    log(`packed ${packed.length} packages in ${timings.pack} ms`)
    const byName = new Map(packed.map(p => [p.name, p]))

    // 2. snippets
    const snippets: Snippet[] = []
    const skipped: Array<{ pkg: string, line: number }> = []
    for (const pkg of pkgs) {
      const readme = join(ROOT, 'packages', pkg, 'README.md')
      if (!existsSync(readme)) continue
      const found = extractSnippets(pkg, await readFile(readme, 'utf8'))
      snippets.push(...found.snippets)
      skipped.push(...found.skipped)
    }

    // 3. one project per (package, uses createHost); registry packages at the versions the
    //    workspace's lockfile resolved, so the proof runs on what the workspace was tested with
    const lock = parseLockfile(await readFile(join(ROOT, 'pnpm-lock.yaml'), 'utf8'))
    const projectOf = (s: Snippet): string => `${s.pkg}${s.imports.includes(HOST) && byName.get(HOST)?.dir !== s.pkg ? '+host' : ''}`
    const projects: Record<string, Record<string, string>> = {}
    for (const s of snippets) {
      const deps = (projects[projectOf(s)] ??= {})
      for (const name of s.imports) {
        const tarball = byName.get(name)
        deps[name] = tarball != null ? `file:${relative(join(scratch, projectOf(s)), tarball.tarball)}` : ''
      }
    }
    const devDeps = { '@types/node': '' }
    const { text: lockfile, specifiers } = await scratchLockfile(lock, packed, projects, devDeps)
    for (const deps of [...Object.values(projects), devDeps]) {
      for (const name of Object.keys(deps)) if (deps[name as keyof typeof deps] === '') (deps as Record<string, string>)[name] = specifiers.get(name)!
    }
    await writeFile(join(scratch, 'package.json'), JSON.stringify({ name: 'hearsay-standalone', private: true, type: 'module' }, null, 2))
    await writeFile(join(scratch, 'pnpm-lock.yaml'), lockfile)
    await writeFile(join(scratch, 'pnpm-workspace.yaml'), [
      'packages:',
      ...Object.keys(projects).map(p => `  - '${p}'`),
      // every @hearsay/* dependency, direct or transitive, comes from its tarball
      'overrides:',
      ...packed.map(p => `  '${p.name}': 'file:tarballs/${basename(p.tarball)}'`),
      // the same native builds the workspace allows (LevelDB falls back to its prebuilds)
      'onlyBuiltDependencies:',
      '  - classic-level',
      ''
    ].join('\n'))
    for (const [project, deps] of Object.entries(projects)) {
      const dir = join(scratch, project)
      await mkdir(dir)
      await writeFile(join(dir, 'package.json'), JSON.stringify({
        name: `standalone-${project.replace('+', '-')}`,
        private: true,
        type: 'module',
        dependencies: deps,
        devDependencies: devDeps
      }, null, 2))
      await writeFile(join(dir, 'tsconfig.json'), JSON.stringify(TSCONFIG, null, 2))
    }
    for (const s of snippets) await writeFile(join(scratch, projectOf(s), `snippet-${s.index}.ts`), s.code)

    // 4. install offline from the workspace's store, exactly as locked: no registry, and no
    //    registry metadata cache either (a frozen install, as CI's, never fills it)
    const store = (await pnpm(['store', 'path'], ROOT, 60_000)).trim().split('\n').pop()!
    await pnpm(['install', '--offline', '--frozen-lockfile', '--store-dir', store, '--config.confirmModulesPurge=false'], scratch, 300_000)
    t = lap('install', t)
    log(`installed ${Object.keys(projects).length} projects offline in ${timings.install} ms (store ${store})`)

    // 5a. typecheck each project against the packed declarations, two at a time
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc')
    const typecheck: TypecheckResult[] = []
    const queue = Object.keys(projects)
    await Promise.all([0, 1].map(async () => {
      for (let project = queue.shift(); project != null; project = queue.shift()) {
        const r = await run(process.execPath, [tsc, '-p', join(scratch, project, 'tsconfig.json')], { cwd: join(scratch, project), timeoutMs: 180_000 })
        typecheck.push({ project, ok: r.code === 0, ms: r.ms, output: r.output })
        log(`typecheck ${project}: ${r.code === 0 ? 'ok' : 'FAILED'} (${r.ms} ms)${r.code === 0 ? '' : '\n' + r.output}`)
      }
    }))
    t = lap('typecheck', t)

    // 5b. run every snippet, one at a time: they listen on loopback and time their own waits
    const results: SnippetResult[] = []
    const env = { ...process.env }
    delete env.NODE_OPTIONS // a mocha or tsx loader of the caller must not help the snippet
    for (const s of snippets) {
      const project = projectOf(s)
      const r = await run(process.execPath, [`snippet-${s.index}.ts`], { cwd: join(scratch, project), timeoutMs: options.snippetTimeoutMs ?? 90_000, env })
      results.push({ pkg: s.pkg, index: s.index, line: s.line, project, exitCode: r.code, signal: r.signal, timedOut: r.timedOut, ms: r.ms, output: r.output })
      const ok = r.code === 0
      log(`${ok ? '✔' : '✖'} packages/${s.pkg}/README.md:${s.line} (${project}) ${r.ms} ms${ok ? '' : ` ${r.timedOut ? 'timed out' : `exit ${r.code ?? r.signal}`}\n${r.output}`}`)
    }
    lap('run', t)
    timings.total = Math.round(performance.now() - t0)
    return { scratch, packed, snippets, skipped, projects, typecheck, results, timings }
  } finally {
    if (options.keep !== true) await rm(scratch, { recursive: true, force: true, maxRetries: 3 })
  }
}

/** Problems of a packed tarball that would make a bad npm release. */
export function tarballProblems (p: PackedPackage): string[] {
  const { manifest } = p
  const problems: string[] = []
  const has = (f: string): boolean => p.files.includes(f)
  if (!has('README.md')) problems.push('no README.md')
  if (!has('package.json')) problems.push('no package.json')
  for (const f of p.files) {
    if (/\.tsbuildinfo$/.test(f)) problems.push(`ships ${f}`)
    if (/(^|\/)test\//.test(f) || /\.test\.[jt]s$/.test(f)) problems.push(`ships test file ${f}`)
  }
  for (const [sub, target] of Object.entries<any>(manifest.exports ?? {})) {
    for (const cond of ['types', 'import']) {
      const file = String(target?.[cond] ?? '').replace(/^\.\//, '')
      if (file === '' || !has(file)) problems.push(`exports["${sub}"].${cond} → ${file || 'missing'} is not in the tarball`)
    }
  }
  for (const [bin, file] of Object.entries<string>(typeof manifest.bin === 'object' ? manifest.bin : {})) {
    if (!has(file.replace(/^\.\//, ''))) problems.push(`bin ${bin} → ${file} is not in the tarball`)
  }
  for (const field of ['name', 'version', 'description', 'license', 'type', 'engines', 'types', 'exports', 'files']) {
    if (manifest[field] == null) problems.push(`package.json has no "${field}"`)
  }
  if (manifest.publishConfig?.access !== 'public') problems.push('package.json lacks publishConfig.access "public" (scoped packages publish restricted by default)')
  return problems
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2)
  const onlyAt = args.indexOf('--only')
  const report = await runStandalone({
    keep: args.includes('--keep'),
    only: onlyAt === -1 ? undefined : args[onlyAt + 1].split(',')
  })
  const failed = report.results.filter(r => r.exitCode !== 0)
  const badTypes = report.typecheck.filter(r => !r.ok)
  const problems = report.packed.flatMap(p => tarballProblems(p).map(x => `${p.name}: ${x}`))
  console.log(`\n${report.results.length - failed.length}/${report.results.length} snippets ran, ${report.typecheck.length - badTypes.length}/${report.typecheck.length} projects typechecked, ${report.skipped.length} fragments skipped`)
  console.log(`timings (ms): ${JSON.stringify(report.timings)}`)
  for (const p of problems) console.log(`✖ ${p}`)
  process.exit(failed.length + badTypes.length + problems.length === 0 ? 0 : 1)
}
