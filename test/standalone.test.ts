import assert from 'node:assert/strict'
import { runStandalone, tarballProblems, type StandaloneReport } from '../scripts/standalone.ts'

// The packages as npm users get them: packed tarballs installed (offline, from the workspace's
// pnpm store) into a scratch project outside this repository with plain libp2p, one hearsay
// package per project, every README snippet typechecked and run. See scripts/standalone.ts.
describe('standalone: packed packages outside the workspace', function () {
  this.timeout(600_000)
  let report: StandaloneReport

  before(async function () {
    report = await runStandalone({ log: () => {} })
  })

  it('packs every package with its README and build output, and no tests or build info', () => {
    assert.equal(report.packed.length, 8, report.packed.map(p => p.name).join(', '))
    for (const p of report.packed) {
      assert.deepEqual(tarballProblems(p), [], `${p.name}: ${tarballProblems(p).join('; ')}`)
      // workspace:* must be rewritten to the real versions, or npm users could not install it
      for (const range of Object.values<string>(p.manifest.dependencies ?? {})) assert.doesNotMatch(range, /^workspace:/, p.name)
    }
  })

  it('gives every package README at least one snippet run without @hearsay/host', () => {
    for (const p of report.packed) {
      const plain = report.snippets.filter(s => s.pkg === p.dir && s.imports.includes(p.name) && (p.name === '@hearsay/host' || !s.imports.includes('@hearsay/host')))
      assert.ok(plain.length > 0, `packages/${p.dir}/README.md has no snippet using ${p.name} alone`)
    }
    for (const [project, deps] of Object.entries(report.projects)) {
      if (!project.endsWith('+host') && project !== 'host') assert.ok(!('@hearsay/host' in deps), `${project} depends on @hearsay/host`)
    }
  })

  it('typechecks every scratch project against the packed declarations', () => {
    assert.ok(report.typecheck.length > 0)
    for (const t of report.typecheck) assert.ok(t.ok, `${t.project}:\n${t.output}`)
  })

  it('runs every README snippet to exit 0', () => {
    assert.equal(report.results.length, report.snippets.length)
    assert.ok(report.results.length >= 10, `only ${report.results.length} snippets`)
    for (const r of report.results) {
      assert.equal(r.exitCode, 0, `packages/${r.pkg}/README.md:${r.line} (${r.project}) ${r.timedOut ? 'timed out' : `exited ${r.exitCode ?? r.signal}`}:\n${r.output}`)
    }
  })
})
