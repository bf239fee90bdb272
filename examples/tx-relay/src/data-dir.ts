import envPaths from 'env-paths'
import { join } from 'node:path'

/**
 * Where a node keeps its identity, peer store, mempool, config file and API cookie when
 * `--data-dir` is not given: the platform's place for application data (`$XDG_DATA_HOME` or
 * `~/.local/share/hearsay-relay` on Linux, `~/Library/Application Support/hearsay-relay` on
 * macOS, `%LOCALAPPDATA%\hearsay-relay\Data` on Windows).
 */
export function defaultDataDir (): string {
  return envPaths('hearsay-relay', { suffix: '' }).data
}

/** The config file a node reads from its data directory unless `--config` names another. */
export function configFile (dataDir: string): string {
  return join(dataDir, 'hearsay-relay.json')
}

/** The API's auth cookie: written at start (mode 0600), removed at a clean stop, as bitcoind's `.cookie`. */
export function cookieFile (dataDir: string): string {
  return join(dataDir, '.cookie')
}

/** The default p2p (TCP) port, fixed so a node's peers find it where they last did. */
export const DEFAULT_P2P_PORT = 7333
/** The HTTP API's default port (next to the p2p one, as bitcoind's 8332 and 8333). */
export const DEFAULT_API_PORT = 7332
