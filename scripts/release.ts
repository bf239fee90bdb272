/**
 * Release the `packages/*` libraries (the examples are private).
 *
 * `node scripts/release.ts --dry-run` (`pnpm release --dry-run`) changes nothing and contacts no
 * registry: it prints the version plan of the pending changesets and, for each public package,
 * what would be published — name@version, files, size and dependencies as packed (pnpm rewrites
 * `workspace:*` to versions). `pnpm publish --dry-run` is not used because it asks the registry
 * which versions exist, which hangs offline.
 *
 * Without `--dry-run`: apply the pending changesets (`changeset version`), build, publish every
 * public package whose version npm does not have yet (`pnpm -r publish`), and tag (`changeset tag`).
 */
import { spawnSync } from 'node:child_process'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ROOT, pnpmCommand } from './standalone.ts'

const dryRun = process.argv.includes('--dry-run')
const changeset = join(ROOT, 'node_modules', '.bin', 'changeset')

/** Run a command in the repository, inheriting stdio, or return its output with `capture`; exit on failure. */
function sh (command: string, args: string[], capture = false): string {
  const result = spawnSync(command, args, { cwd: ROOT, stdio: capture ? ['ignore', 'pipe', 'inherit'] : 'inherit', encoding: 'utf8' })
  if (result.status !== 0) {
    console.error(`✖ ${command} ${args.join(' ')} failed (exit ${result.status ?? result.signal})`)
    process.exit(1)
  }
  return result.stdout ?? ''
}

const [pnpm, pnpmPrefix] = pnpmCommand()
const pending = (await readdir(join(ROOT, '.changeset'))).filter(f => f.endsWith('.md') && f !== 'README.md')

console.log(`▶ ${pending.length} pending changeset(s)${pending.length > 0 ? ': ' + pending.join(', ') : ''}`)
if (pending.length > 0) {
  // status prints the bump of every package the changesets name; version applies them
  sh(changeset, dryRun ? ['status', '--verbose'] : ['version'])
} else {
  console.log('  nothing to version: the versions in package.json are the ones to publish')
}

if (dryRun) {
  const dest = await mkdtemp(join(tmpdir(), 'hearsay-release-'))
  try {
    const out = sh(pnpm, [...pnpmPrefix, '-r', '--filter', './packages/*', 'pack', '--pack-destination', dest, '--json'], true)
    const packed: Array<{ name: string, version: string, filename: string, files: Array<{ path: string }> }> = JSON.parse(out.slice(out.indexOf('[')))
    console.log(`\n▶ would publish ${packed.length} packages to npm with access public${pending.length > 0 ? ' (versions before the bumps above)' : ''}:`)
    for (const p of packed.sort((a, b) => a.name.localeCompare(b.name))) {
      const manifest = JSON.parse(sh('tar', ['xzf', p.filename, '-O', 'package/package.json'], true))
      if (manifest.private === true) continue
      const size = spawnSync('stat', ['-c', '%s', p.filename], { encoding: 'utf8' }).stdout.trim()
      const internal = Object.entries<string>(manifest.dependencies ?? {}).filter(([name]) => name.startsWith('@hearsay/')).map(([n, v]) => `${n}@${v}`)
      console.log(`  + ${p.name}@${p.version}  ${p.files.length} files, ${(Number(size) / 1024).toFixed(1)} KiB packed${internal.length > 0 ? `; depends on ${internal.join(', ')}` : ''}`)
    }
    console.log('\n(dry run: nothing versioned, published or tagged)')
  } finally {
    await rm(dest, { recursive: true, force: true })
  }
} else {
  sh(join(ROOT, 'node_modules', '.bin', 'tsc'), ['-b'])
  // pnpm skips versions already on npm, so a re-run after a partial failure finishes the job
  sh(pnpm, [...pnpmPrefix, '-r', '--filter', './packages/*', 'publish', '--access', 'public', '--no-git-checks'])
  sh(changeset, ['tag'])
}
