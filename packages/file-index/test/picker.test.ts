import assert from 'node:assert/strict'
import { Bitfield, PiecePicker, type PickerAction, type PickerOptions } from '@hearsay/file-index'
import { ManualClock, seededRng } from '@hearsay/sansio'

const PIECE = 1000

function picker (pieces: number, options: Partial<PickerOptions> = {}, have?: Bitfield): { p: PiecePicker, clock: ManualClock } {
  const clock = new ManualClock(1_000_000)
  const p = new PiecePicker({ pieces, pieceLength: () => PIECE, clock, rng: seededRng(42), options, have })
  return { p, clock }
}

function bits (n: number, indices: Iterable<number>): Bitfield {
  const field = new Bitfield(n)
  for (const i of indices) field.set(i)
  return field
}

const range = (a: number, b: number): number[] => Array.from({ length: b - a }, (_, i) => a + i)
const requests = (actions: PickerAction[], peer?: string): number[] =>
  actions.filter(a => a.type === 'request' && (peer == null || a.peer === peer)).map(a => a.index)

/** Deliver a piece as verified good; returns the cancels. */
function deliver (p: PiecePicker, peer: string, index: number): PickerAction[] {
  assert.equal(p.received(peer, index, PIECE), 'expected')
  return p.verified(peer, index, true)
}

describe('piece picker', () => {
  it('requests the rarest pieces first', () => {
    const { p } = picker(20, { minDepth: 4 })
    p.addPeer('a', Bitfield.full(20))
    p.addPeer('b', bits(20, range(0, 16)))
    p.addPeer('c', bits(20, range(0, 16)))
    // pieces 16..19 only `a` has: availability 1 against 3
    p.removePeer('b'); p.removePeer('c')
    p.addPeer('b', bits(20, range(0, 16)))
    p.addPeer('c', bits(20, range(0, 16)))
    const actions = p.pump()
    assert.deepEqual(requests(actions, 'a').sort((x, y) => x - y), [16, 17, 18, 19])
    // b and c get 8 distinct pieces among the common ones
    const others = [...requests(actions, 'b'), ...requests(actions, 'c')]
    assert.equal(new Set(others).size, 8)
    assert.ok(others.every(i => i < 16))
  })

  it('is reproducible with a seeded rng and never requests one piece twice before endgame', () => {
    const run = (): number[] => {
      const { p } = picker(100, { minDepth: 5, endgame: false })
      for (const peer of ['a', 'b', 'c']) p.addPeer(peer, Bitfield.full(100))
      return requests(p.pump())
    }
    const first = run()
    assert.deepEqual(run(), first)
    assert.equal(first.length, 15)
    assert.equal(new Set(first).size, 15)
  })

  it('sizes a pipeline to the measured throughput', () => {
    const { p, clock } = picker(10_000, { minDepth: 2, maxDepth: 50, pipelineMs: 1000, rateWindowMs: 2000 })
    p.addPeer('fast', Bitfield.full(10_000))
    p.addPeer('slow', Bitfield.full(10_000))
    assert.equal(p.depth('fast'), 2)
    p.pump()
    // fast delivers 20 pieces/s, slow 4 pieces/s, for 2 s
    for (let t = 0; t < 2000; t += 50) {
      clock.advance(50)
      const fast = p.inFlight('fast')[0]
      deliver(p, 'fast', fast)
      if (t % 250 === 0) deliver(p, 'slow', p.inFlight('slow')[0])
      p.pump()
    }
    assert.ok(p.depth('fast') >= 20 && p.depth('fast') <= 23, `fast depth ${p.depth('fast')}`)
    assert.ok(p.depth('slow') >= 4 && p.depth('slow') <= 7, `slow depth ${p.depth('slow')}`)
    // topped up in batches: between three quarters of the depth and the depth
    const inFlight = p.inFlight('fast').length
    assert.ok(inFlight <= p.depth('fast') && inFlight >= p.depth('fast') * 0.75, `${inFlight} in flight of ${p.depth('fast')}`)
  })

  it('tops a pipeline up in batches once a quarter of it is free', () => {
    const { p } = picker(100, { minDepth: 8, maxDepth: 8, endgame: false })
    p.addPeer('a', Bitfield.full(100))
    assert.equal(requests(p.pump()).length, 8)
    deliver(p, 'a', p.inFlight('a')[0])
    assert.deepEqual(p.pump(), [], 'one free slot of 8: not yet')
    deliver(p, 'a', p.inFlight('a')[0])
    assert.equal(requests(p.pump()).length, 2, 'two free slots: both at once')
    assert.equal(p.inFlight('a').length, 8)
  })

  it('returns the requests of a peer that leaves to the pool', () => {
    const { p } = picker(8, { minDepth: 4, endgame: false })
    p.addPeer('a', Bitfield.full(8))
    p.addPeer('b', Bitfield.full(8))
    p.pump()
    const ofA = p.inFlight('a')
    p.removePeer('a')
    p.addPeer('c', Bitfield.full(8))
    assert.deepEqual(requests(p.pump(), 'c').sort(), [...ofA].sort())
  })

  it('puts a bad piece back and never asks its sender for it again', () => {
    const { p } = picker(1, { minDepth: 1 })
    p.addPeer('bad', Bitfield.full(1))
    assert.deepEqual(requests(p.pump()), [0])
    assert.equal(p.received('bad', 0, PIECE), 'expected')
    p.verified('bad', 0, false)
    assert.deepEqual(p.pump(), [])
    p.addPeer('good', Bitfield.full(1))
    assert.deepEqual(p.pump(), [{ type: 'request', peer: 'good', index: 0 }])
    deliver(p, 'good', 0)
    assert.ok(p.complete)
  })

  it('flags unrequested pieces and counts late duplicates', () => {
    const { p } = picker(4, { minDepth: 1, endgame: false })
    p.addPeer('a', Bitfield.full(4))
    const [index] = requests(p.pump())
    assert.equal(p.received('a', (index + 1) % 4, PIECE), 'unrequested')
    deliver(p, 'a', index)
    assert.equal(p.received('a', index, PIECE), 'unrequested')
  })

  it('endgame: an idle fast peer takes over the last pieces from a slow one, then duplicates the head; the first copy cancels the other', () => {
    const { p, clock } = picker(12, { minDepth: 2, maxDepth: 8, pipelineMs: 1000, maxEndgameHolders: 2 })
    p.addPeer('slow', Bitfield.full(12))
    p.addPeer('fast', Bitfield.full(12))
    p.pump()
    // slow: 2 pieces/s; fast: 10 pieces/s
    let cancels = 0
    for (let t = 0; t < 20_000 && !p.complete; t += 100) {
      clock.advance(100)
      for (const peer of ['fast', 'slow']) {
        const head = p.inFlight(peer)[0]
        if (head == null) continue
        if (peer === 'slow' && t % 500 !== 0) continue
        const got = p.received(peer, head, PIECE)
        if (got === 'expected') cancels += p.verified(peer, head, true).length
      }
      const actions = p.pump()
      for (const a of actions) assert.ok(a.type === 'request' || a.peer === 'slow', 'only the slow peer gets cancels')
      cancels += actions.filter(a => a.type === 'cancel').length
    }
    assert.ok(p.complete)
    assert.ok(cancels > 0, 'endgame moved or cancelled pieces of the slow peer')
    assert.ok(p.progress().duplicateBytes <= 2 * PIECE, `duplicates ${p.progress().duplicateBytes}`)
  })

  it('endgame duplicates a piece whose holder has delivered nothing, and the winner cancels the loser', () => {
    const { p } = picker(2, { minDepth: 1 })
    p.addPeer('stuck', Bitfield.full(2))
    p.addPeer('ok', Bitfield.full(2))
    const first = p.pump()
    assert.equal(requests(first).length, 2)
    const ofOk = p.inFlight('ok')[0]
    deliver(p, 'ok', ofOk)
    const second = p.pump()
    const stuckPiece = p.inFlight('stuck')[0]
    assert.deepEqual(second, [{ type: 'request', peer: 'ok', index: stuckPiece }])
    const cancels = deliver(p, 'ok', stuckPiece)
    assert.deepEqual(cancels, [{ type: 'cancel', peer: 'stuck', index: stuckPiece }])
    assert.ok(p.complete)
    // the stuck copy arriving late is a duplicate, not misbehaviour
    assert.equal(p.received('stuck', stuckPiece, PIECE), 'duplicate')
  })

  it('endgame does not race holders that are merely new: a small file is not asked for twice over before any rate is known', () => {
    const { p, clock } = picker(16, { minDepth: 4, rateWindowMs: 2000 })
    for (const peer of ['a', 'b', 'c', 'd']) p.addPeer(peer, Bitfield.full(16))
    assert.equal(requests(p.pump()).length, 16, 'every piece asked of one peer')
    // 'a' delivers one piece 100 ms on: it has room, and every other piece is with a peer whose
    // rate is not known yet
    clock.advance(100)
    deliver(p, 'a', p.inFlight('a')[0])
    assert.deepEqual(requests(p.pump()), [], 'no duplicates while the holders are new')
    // a holder that has sat on its requests for a quarter of the rate window counts as slow
    clock.advance(500)
    const raced = requests(p.pump(), 'a')
    assert.ok(raced.length > 0, 'raced once the holders had their time')
    for (const index of raced) assert.ok(['b', 'c', 'd'].some(q => p.inFlight(q).includes(index)), 'a race for a piece another peer holds')
  })

  it('a piece cancelled, asked of the same peer again and then sent twice is no misbehaviour', () => {
    const { p, clock } = picker(40, { minDepth: 4, maxDepth: 8, pipelineMs: 1000, maxEndgameHolders: 2 })
    p.addPeer('slow', Bitfield.full(40))
    p.addPeer('fast', Bitfield.full(40))
    p.pump()
    // as in the endgame test, until the fast peer takes a piece over from the slow one
    let moved: number | undefined
    for (let t = 0; t < 20_000 && moved == null; t += 100) {
      clock.advance(100)
      for (const peer of ['fast', 'slow']) {
        const head = p.inFlight(peer)[0]
        if (head == null || (peer === 'slow' && t % 500 !== 0)) continue
        if (p.received(peer, head, PIECE) === 'expected') p.verified(peer, head, true)
      }
      moved = p.pump().find(a => a.type === 'cancel' && a.peer === 'slow')?.index
    }
    assert.ok(moved != null, 'a piece was moved')
    // the fast peer refuses it: it goes back to the slow peer, which had started sending it
    p.rejected('fast', moved, true, 60_000)
    for (let i = 0; i < 40 && !p.inFlight('slow').includes(moved); i++) {
      const head = p.inFlight('slow')[0]
      if (head !== moved && p.received('slow', head, PIECE) === 'expected') p.verified('slow', head, true)
      p.pump()
    }
    assert.ok(p.inFlight('slow').includes(moved), 'asked of the slow peer again')
    assert.equal(p.received('slow', moved, PIECE), 'expected')
    p.verified('slow', moved, true)
    assert.equal(p.received('slow', moved, PIECE), 'duplicate', 'the second copy')
    assert.equal(p.received('slow', moved, PIECE), 'unrequested', 'a third copy was never asked for')
  })

  it('a piece being verified is asked of nobody, and a copy arriving meanwhile is a duplicate', () => {
    const { p } = picker(1, { minDepth: 1 })
    p.addPeer('a', Bitfield.full(1))
    p.addPeer('b', Bitfield.full(1))
    const [first] = p.pump()
    const other = first.peer === 'a' ? 'b' : 'a'
    // the other peer duplicates it (endgame), then the first copy arrives and is being hashed
    assert.deepEqual(p.pump(), [{ type: 'request', peer: other, index: 0 }])
    assert.equal(p.received(first.peer, 0, PIECE), 'expected')
    assert.deepEqual(p.pump(), [], 'not asked again while it is verified')
    assert.equal(p.received(other, 0, PIECE), 'duplicate')
    // it turns out bad: back to the pool, and only the other peer may be asked for it
    p.verified(first.peer, 0, false)
    assert.deepEqual(p.pump(), [{ type: 'request', peer: other, index: 0 }])
  })

  it('resume: pieces already held are never requested', () => {
    const have = bits(10, [0, 1, 2, 3, 4, 5, 6])
    const { p } = picker(10, { minDepth: 10 }, have)
    assert.equal(p.progress().piecesDone, 7)
    p.addPeer('a', Bitfield.full(10))
    assert.deepEqual(requests(p.pump()).sort(), [7, 8, 9])
  })

  it('times out a stalled peer and hands its pieces to others', () => {
    const { p, clock } = picker(4, { minDepth: 2, stallTimeoutMs: 5000, endgame: false })
    p.addPeer('a', Bitfield.full(4))
    p.pump()
    clock.advance(4999)
    assert.deepEqual(p.stalled(), [])
    clock.advance(1)
    assert.deepEqual(p.stalled(), ['a'])
    assert.ok(!p.hasPeer('a'))
  })

  it('a busy reject pauses the peer for its retry delay', () => {
    const { p, clock } = picker(4, { minDepth: 1, endgame: false })
    p.addPeer('a', Bitfield.full(4))
    const [index] = requests(p.pump())
    p.rejected('a', index, true, 1000)
    assert.deepEqual(p.pump(), [])
    clock.advance(1000)
    assert.equal(requests(p.pump()).length, 1)
  })
})
