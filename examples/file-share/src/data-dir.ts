import { homedir } from 'node:os'
import { join } from 'node:path'

/**
 * The per-user directory hearsay-share keeps its identity, peer store and file store in when
 * `--data-dir` is not given: `$HEARSAY_SHARE_HOME`, else the platform's usual place for
 * application data (XDG on Linux and the BSDs).
 */
export function defaultDataDir (env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform, home: string = homedir()): string {
  if (env.HEARSAY_SHARE_HOME != null && env.HEARSAY_SHARE_HOME !== '') return env.HEARSAY_SHARE_HOME
  if (platform === 'win32') return join(env.LOCALAPPDATA ?? join(home, 'AppData', 'Local'), 'hearsay-share')
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'hearsay-share')
  const xdg = env.XDG_DATA_HOME != null && env.XDG_DATA_HOME !== '' ? env.XDG_DATA_HOME : join(home, '.local', 'share')
  return join(xdg, 'hearsay-share')
}
