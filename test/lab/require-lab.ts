import { labSupport } from './system.ts'

/**
 * Call from a suite's `before`: skip it with one clear line where no lab can be built (not root,
 * no network namespaces, no nft); in CI (`CI=true`) fail instead, since CI must run the lab tests.
 */
export function requireLab (ctx: Mocha.Context): void {
  const support = labSupport()
  if (support.ok) return
  if (process.env.CI === 'true') throw new Error(`network lab unavailable in CI: ${support.reason}`)
  console.log(`    network lab tests skipped: ${support.reason}`)
  ctx.skip()
}
