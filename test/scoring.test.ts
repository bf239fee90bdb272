import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createHost, type Host } from '@hearsay/host'
import { onLoopback } from './helpers/loopback.ts'
import { waitFor } from './helpers/wait.ts'

describe('scoring on hosts', function () {
  this.timeout(60_000)
  const hosts: Host[] = []
  const dirs: string[] = []
  afterEach(async () => {
    await Promise.all(hosts.splice(0).map(async h => { await h.stop() }))
    await Promise.all(dirs.splice(0).map(async d => { await rm(d, { recursive: true, force: true }) }))
  })

  it('createHost wires scoring: a peer reported over the threshold is cut off, refused both ways, and still refused after a restart', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hearsay-scoring-'))
    dirs.push(dir)
    let judge = await createHost({ ...onLoopback(2, 1), dataDir: dir })
    const judgeAddr = judge.getMultiaddrs()[0]
    const offender = await createHost({ ...onLoopback(2, 2), bootstrap: [judgeAddr.toString()] })
    hosts.push(offender)
    await waitFor(() => judge.getConnections(offender.peerId).length > 0, { what: 'offender connected' })

    const banned = new Promise<string>(resolve => {
      judge.services.scoring.addEventListener('peer:banned', e => { resolve(e.detail.reason) }, { once: true })
    })
    // 5 oversized frames at 50 points each: banned at the second
    for (let i = 0; i < 5; i++) judge.services.scoring.report(offender.peerId, 'oversized-frame', `frame ${i}`)
    assert.match(await banned, /oversized-frame/)
    assert.ok(judge.services.scoring.isBanned(offender.peerId))
    await waitFor(() => judge.getConnections(offender.peerId).length === 0 && offender.getConnections(judge.peerId).length === 0,
      { what: 'connections closed', timeoutMs: 1000 })
    await assert.rejects(judge.dial(offender.peerId))
    await offender.dial(judgeAddr).catch(() => {})
    await waitFor(() => judge.getConnections(offender.peerId).length === 0, { what: 'inbound refused', timeoutMs: 1000 })

    await judge.stop()
    judge = await createHost({ ...onLoopback(2, 1), dataDir: dir })
    hosts.push(judge)
    assert.ok(judge.services.scoring.isBanned(offender.peerId), 'the ban survived the restart')
    await assert.rejects(judge.dial(offender.getMultiaddrs()))
  })
})
