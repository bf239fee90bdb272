import envPaths from 'env-paths'

/**
 * The per-user directory hearsay-share keeps its identity, peer store and file store in when
 * `--data-dir` is not given: `$HEARSAY_SHARE_HOME`, else the platform's usual place for
 * application data (env-paths: XDG on Linux and the BSDs).
 */
export function defaultDataDir (env: NodeJS.ProcessEnv = process.env): string {
  if (env.HEARSAY_SHARE_HOME != null && env.HEARSAY_SHARE_HOME !== '') return env.HEARSAY_SHARE_HOME
  return envPaths('hearsay-share', { suffix: '' }).data
}
