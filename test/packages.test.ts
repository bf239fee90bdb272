/**
 * The packages as npm users get them: a licence, where they come from, source maps that resolve
 * inside the tarball, and one major of each dependency across the workspace.
 */
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { dirname, join, normalize } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
const REPO = 'https://github.com/hearsay-p2p/hearsay'
const LICENCES = ['LICENSE', 'LICENSE-MIT', 'LICENSE-APACHE']

const readJson = (file: string): any => JSON.parse(readFileSync(file, 'utf8'))
/** The workspace packages under `parent` (a folder without package.json, like examples/shared, is none). */
const workspaceDirs = (parent: string): string[] => readdirSync(join(ROOT, parent)).map(name => `${parent}/${name}`).filter(dir => existsSync(join(ROOT, dir, 'package.json')))
const published = workspaceDirs('packages')

/** The files `npm pack` would put in each package's tarball (one npm run for all: npm starts slowly). */
function packed (dirs: string[]): Map<string, Set<string>> {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts', ...dirs.map(d => `./${d}`)], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
  const reports = JSON.parse(out) as Array<{ files: Array<{ path: string }> }>
  return new Map(dirs.map((dir, i) => [dir, new Set(reports[i].files.map(f => f.path))]))
}

describe('packages as npm users get them', function () {
  this.timeout(120_000)

  it('the root and every package carry the MIT/Apache-2.0 dual licence', () => {
    for (const dir of ['.', ...published]) {
      const files = readdirSync(join(ROOT, dir))
      for (const licence of LICENCES) assert.ok(files.includes(licence), `${dir}/${licence}`)
      assert.equal(readJson(join(ROOT, dir, 'package.json')).license, 'Apache-2.0 OR MIT', `${dir}/package.json license`)
    }
  })

  it('every package says where it comes from', () => {
    for (const dir of published) {
      const pkg = readJson(join(ROOT, dir, 'package.json'))
      assert.deepEqual(pkg.repository, { type: 'git', url: `git+${REPO}.git`, directory: dir }, `${dir} repository`)
      assert.equal(pkg.homepage, `${REPO}/tree/main/${dir}#readme`, `${dir} homepage`)
      assert.deepEqual(pkg.bugs, { url: `${REPO}/issues` }, `${dir} bugs`)
    }
  })

  it('every source map in a tarball names sources that are in it', () => {
    const tarballs = packed(published)
    for (const dir of published) {
      const files = tarballs.get(dir) ?? new Set()
      for (const licence of LICENCES) assert.ok(files.has(licence), `${dir} packs ${licence}`)
      const maps = [...files].filter(f => f.endsWith('.map'))
      assert.ok(maps.length > 0, `${dir} ships source maps`)
      for (const map of maps) {
        for (const source of readJson(join(ROOT, dir, map)).sources as string[]) {
          const target = normalize(join(dirname(map), source))
          assert.ok(files.has(target), `${dir}/${map} names ${source}, not in the tarball`)
        }
      }
    }
  })

  it('each dependency has one major across the workspace', () => {
    const majors = new Map<string, Map<string, string[]>>()
    for (const dir of ['.', ...published, ...workspaceDirs('examples')]) {
      const pkg = readJson(join(ROOT, dir, 'package.json'))
      for (const field of ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies']) {
        for (const [name, range] of Object.entries<string>(pkg[field] ?? {})) {
          if (range.startsWith('workspace:')) continue
          const major = range.replace(/^[\^~>=<\s]+/, '').split('.')[0]
          const byMajor = majors.get(name) ?? new Map<string, string[]>()
          byMajor.set(major, [...(byMajor.get(major) ?? []), dir])
          majors.set(name, byMajor)
        }
      }
    }
    const split = [...majors].filter(([, byMajor]) => byMajor.size > 1)
      .map(([name, byMajor]) => `${name}: ${[...byMajor].map(([m, dirs]) => `${m} in ${dirs.join(', ')}`).join('; ')}`)
    assert.deepEqual(split, [])
  })
})
