/**
 * How a parent names itself to the hearsay processes it spawns, for `stop-with-launcher.ts`: a
 * child whose parent died while the child was still loading stops at once. Free of side effects,
 * so spawners (and tests) can import it without being watched themselves.
 *
 * @module
 */

/** The environment variable a parent sets to its own pid for the children it spawns. */
export const LAUNCHER_ENV = 'HEARSAY_LAUNCHER_PID'

/** The environment for a child this process spawns: the current one, naming this process as its launcher. */
export function launcherEnv (): NodeJS.ProcessEnv {
  return { ...process.env, [LAUNCHER_ENV]: String(process.pid) }
}
