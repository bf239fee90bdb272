import { createHost, type Host } from '@hearsay/host'
import { flood } from '@hearsay/gossip'
import { sampleCases } from '../../test/helpers/fuzz.ts'
import { Pinger, heapAfterGc, newTally, runCases, silenceGossip, watchReports, type FuzzTally, type PingSummary } from '../../test/helpers/hostile.ts'
import { FUZZ_TOPICS, at, fuzzProfiles, startFuzzTarget } from '../../test/helpers/hostile-targets.ts'
import { markdownTable, type Figure, type Scenario } from '../lib/report.ts'

/**
 * `hostile`: the hostile CI suite's frame fuzzer with larger settings — thousands of generated
 * frames per protocol against one live host over TCP, then tens of thousands of half-open
 * streams — reporting how many were tried, how many of each kind the host reported to scoring,
 * its heap growth and the slowest ping an honest peer saw meanwhile. Reported, never judged.
 */
export const hostileScenario: Scenario = {
  name: 'hostile',
  description: 'frame fuzzing of every hearsay protocol (thousands of frames each) and a half-open stream flood: reports, heap, honest ping',
  async run ({ quick, log }) {
    const casesPerProtocol = quick ? 300 : 3000
    const streams = quick ? 2000 : 20_000
    const fuzz = await startFuzzTarget('127.0.178.1')
    const { target } = fuzz
    const honest = await createHost({ ...at('127.0.178.2'), discovery: false })
    const attacker = await createHost({ ...at('127.0.178.3'), discovery: false, files: false })
    const tallies: FuzzTally[] = []
    const rows: Array<Array<string | number>> = []
    let pings: PingSummary
    try {
      await silenceGossip(attacker)
      honest.services.gossip.subscribe(FUZZ_TOPICS.flood, { strategy: flood() })
      await honest.dial(target.getMultiaddrs())
      await attacker.dial(target.getMultiaddrs())
      const reports = watchReports(target)
      const profiles = fuzzProfiles(fuzz, honest)
      const pinger = new Pinger(honest, target.peerId, { intervalMs: 200 }).start()
      for (const profile of profiles) {
        const tally = newTally(profile.name)
        const heap = heapAfterGc()
        const started = Date.now()
        // in batches, so the samples never all sit in memory at once
        for (let batch = 0; batch < casesPerProtocol; batch += 250) {
          const cases = sampleCases(profile, Math.min(250, casesPerProtocol - batch), 0x5eed + batch)
          await runCases(attacker, target, profile.protocol, cases, reports, tally)
        }
        tally.heapGrowth = heapAfterGc() - heap
        tallies.push(tally)
        const reported = Object.values(tally.byKind).reduce((n, k) => n + k.reported, 0)
        log(`  ${profile.name}: ${tally.cases} frames in ${Date.now() - started} ms, ${reported} reported, ${tally.unreported.length} deliberate ones unreported`)
        rows.push([profile.name, tally.cases, Math.round(tally.bytes / 1024), reported, tally.unreported.length,
          Object.entries(tally.byKind).map(([k, v]) => `${k} ${v.reported}/${v.cases}`).join(', '),
          Number(((tally.heapGrowth ?? 0) / 2 ** 20).toFixed(1))])
      }
      // the stream flood: open, write half a frame, leave open
      const heap = heapAfterGc()
      const opened: Array<Awaited<ReturnType<Host['dialProtocol']>>> = []
      let refused = 0
      let held = 0
      const started = Date.now()
      for (let i = 0; i < streams; i++) {
        try {
          const stream = await attacker.dialProtocol(target.peerId, profiles[i % profiles.length].protocol, { signal: AbortSignal.timeout(5000) })
          if (stream.status === 'open') stream.send(Uint8Array.from([0x05, 0x0a]))
          opened.push(stream)
        } catch {
          refused++
        }
        if (i % 1000 === 999) {
          held = Math.max(held, target.getConnections(attacker.peerId).flatMap(c => c.streams).filter(s => s.direction === 'inbound').length)
          // keep what the attacker holds bounded too: drop the ones the target already reset
          for (let k = opened.length - 1; k >= 0; k--) if (opened[k].status !== 'open') opened.splice(k, 1)
        }
      }
      const streamHeap = heapAfterGc() - heap
      for (const stream of opened) stream.abort(new Error('done'))
      log(`  stream flood: ${streams} streams in ${Date.now() - started} ms, ${refused} refused, at most ${held} held by the target`)
      pings = await pinger.stop()
      rows.push(['half-open streams', streams, 0, 0, 0, `${refused} refused at negotiation, at most ${held} held`, Number((streamHeap / 2 ** 20).toFixed(1))])
    } finally {
      await Promise.all([target, honest, attacker].map(async h => { await h.stop() }))
    }
    const pingMax = pings.maxMs
    const pingFailures = pings.failures.length
    const figures: Figure[] = [
      ...tallies.flatMap(t => [
        { name: `${t.protocol} frames tried`, value: t.cases, unit: 'frames' },
        { name: `${t.protocol} deliberate violations unreported`, value: t.unreported.length, unit: 'frames' },
        { name: `${t.protocol} heap growth`, value: (t.heapGrowth ?? 0) / 2 ** 20, unit: 'MiB' }
      ]),
      { name: 'slowest honest ping during the attacks', value: pingMax, unit: 'ms' },
      { name: 'honest pings failed or over 1 s', value: pingFailures, unit: 'pings' }
    ]
    const table = markdownTable(['protocol', 'frames', 'KiB sent', 'reported', 'deliberate unreported', 'reported/tried by kind', 'heap growth MiB'], rows)
    return {
      scenario: 'hostile',
      baseline: 'none: counts of what one live host survived and reported',
      figures,
      table: `one target host over TCP on loopback, one attacker, one honest peer pinging every 200 ms (slowest ${pingMax.toFixed(0)} ms, ${pingFailures} failed)\n\n${table}`,
      goals: [
        { goal: 'every deliberate violation reported', met: tallies.every(t => t.unreported.length === 0), detail: tallies.map(t => `${t.protocol} ${t.unreported.length}`).join(', ') },
        { goal: 'honest pings answered within 1 s throughout', met: pingFailures === 0, detail: `slowest ${pingMax.toFixed(0)} ms` }
      ]
    }
  }
}
