import { mkdir, access, constants } from 'node:fs/promises'
import { join } from 'node:path'
import { LevelDatastore } from 'datastore-level'
import type { Startable } from '@libp2p/interface'

/**
 * The host's LevelDB datastore (peer store, DHT records, hearsay state). libp2p does not open
 * or close a datastore itself, so this one follows the node's lifecycle: it is opened before the
 * node starts and closed after every other component has stopped.
 */
export class HostDatastore extends LevelDatastore implements Startable {
  #open = false

  override async open (): Promise<void> {
    if (this.#open) return
    await super.open()
    this.#open = true
  }

  override async close (): Promise<void> {
    if (!this.#open) return
    this.#open = false
    await super.close()
  }

  async beforeStart (): Promise<void> { await this.open() }
  start (): void {}
  stop (): void {}
  async afterStop (): Promise<void> { await this.close() }
}

/** Make sure `dir` exists and is writable, creating it (mode 0700) if needed. */
export async function prepareDataDir (dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 })
  await access(dir, constants.W_OK | constants.R_OK)
}

/** Open the datastore that lives in `dataDir`. */
export async function openDatastore (dataDir: string): Promise<HostDatastore> {
  const store = new HostDatastore(join(dataDir, 'datastore'))
  await store.open()
  return store
}
