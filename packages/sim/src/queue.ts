/**
 * Pairs of padding before the root: the children of position p are positions 4p+1..4p+4, pairs
 * PAD+4p+1..PAD+4p+4, which start on a multiple of 4 pairs (64 bytes) when PAD is 3. Large typed
 * arrays are page-aligned, so those four pairs share one cache line.
 */
const PAD = 3

/**
 * The simulator's event queue: a 4-ary min-heap on (time, tie). The tie is the order of `push`
 * unless the caller gives one (the simulator does: see `Simulation.tie`), so events due at the
 * same virtual time run in a fixed order, and a run is a pure function of its seed.
 *
 * Laid out for memory latency, which is what a run of tens of millions of events on a heap of
 * hundreds of thousands waits on:
 * - each heap position is a (time, slot) pair of doubles, and the four children of a position
 *   are four consecutive pairs starting on a 64-byte boundary: a level of a sift reads one cache
 *   line (the first three pairs of the array are padding that puts them there);
 * - the sequence number, read only on equal times, and the payload (a kind, two integers and
 *   one object) live in slot arrays that never move; kind and integers share one stride.
 * A run allocates nothing per event but its object payload.
 */
export class EventQueue {
  // heap: pair p (position p - PAD) at [2p, 2p + 1]; the root is pair PAD
  #heap = new Float64Array(2 * (PAD + 1024))
  #size = 0
  // by slot
  #seq = new Float64Array(1024)
  #ints = new Int32Array(3 * 1024)
  #obj: unknown[] = new Array(1024).fill(undefined)
  #free = new Int32Array(1024)
  #freeCount = 0
  #slots = 0
  #nextSeq = 0
  #peak = 0

  /** Time of the event last popped. */
  time = 0
  /** Kind of the event last popped. */
  kind = 0
  /** First integer of the event last popped. */
  a = 0
  /** Second integer of the event last popped. */
  b = 0
  /** Object of the event last popped. */
  obj: unknown = undefined
  /** slot of the event last popped: freed at the next pop, so `tie` can still read it */
  #last = -1

  /** Tie-break key of the event last popped (its push order unless `push` was given one). */
  get tie (): number {
    // read on demand: most callers never need it, and it is a cache miss at scale
    return this.#last === -1 ? 0 : this.#seq[this.#last]
  }

  /** Events waiting. */
  get size (): number {
    return this.#size
  }

  /** Most events ever waiting at once. */
  get peak (): number {
    return this.#peak
  }

  /** Events ever pushed. */
  get pushed (): number {
    return this.#nextSeq
  }

  /** Due time of the next event, or `Infinity` when none is waiting. */
  peekTime (): number {
    return this.#size === 0 ? Infinity : this.#heap[2 * PAD]
  }

  /**
   * Schedule an event at virtual `time`: its `kind`, two integers and one object come back from
   * `pop`. Events at one time pop in order of `tie`, by default the order they were pushed in;
   * give every event a `tie` or none.
   */
  push (time: number, kind: number, a: number, b: number, obj: unknown, tie?: number): void {
    let slot: number
    if (this.#freeCount > 0) {
      slot = this.#free[--this.#freeCount]
    } else {
      slot = this.#slots++
      if (slot >= this.#seq.length) this.#growSlots()
    }
    const order = this.#nextSeq++
    const seq = tie ?? order
    this.#seq[slot] = seq
    const ints = this.#ints
    ints[3 * slot] = kind
    ints[3 * slot + 1] = a
    ints[3 * slot + 2] = b
    this.#obj[slot] = obj
    if (2 * (PAD + this.#size + 1) > this.#heap.length) this.#growHeap()
    const heap = this.#heap
    const seqs = this.#seq
    let i = this.#size++
    if (this.#size > this.#peak) this.#peak = this.#size
    // sift up; new events are mostly later than their parents, so this rarely climbs
    while (i > 0) {
      const parent = (i - 1) >> 2
      const pp = 2 * (PAD + parent)
      const pt = heap[pp]
      if (pt < time || (pt === time && seqs[heap[pp + 1]] < seq)) break
      const ip = 2 * (PAD + i)
      heap[ip] = pt
      heap[ip + 1] = heap[pp + 1]
      i = parent
    }
    const ip = 2 * (PAD + i)
    heap[ip] = time
    heap[ip + 1] = slot
  }

  /** Take the earliest event into `time`, `kind`, `a`, `b`, `obj`; false when none is left. */
  pop (): boolean {
    if (this.#size === 0) return false
    const heap = this.#heap
    const seqs = this.#seq
    const root = 2 * PAD
    const slot = heap[root + 1]
    this.time = heap[root]
    const ints = this.#ints
    this.kind = ints[3 * slot]
    this.a = ints[3 * slot + 1]
    this.b = ints[3 * slot + 2]
    this.obj = this.#obj[slot]
    this.#obj[slot] = undefined
    if (this.#last !== -1) this.#free[this.#freeCount++] = this.#last
    this.#last = slot
    const size = --this.#size
    if (size === 0) return true
    // sift the last entry down from the root
    const lastAt = 2 * (PAD + size)
    const lt = heap[lastAt]
    const lslot = heap[lastAt + 1]
    let i = 0
    for (;;) {
      const first = 4 * i + 1
      if (first >= size) break
      let best = first
      let bp = 2 * (PAD + first)
      let bt = heap[bp]
      const last = first + 4 < size ? first + 4 : size
      for (let c = first + 1; c < last; c++) {
        const cp = 2 * (PAD + c)
        const ct = heap[cp]
        if (ct < bt || (ct === bt && seqs[heap[cp + 1]] < seqs[heap[bp + 1]])) {
          best = c
          bp = cp
          bt = ct
        }
      }
      if (lt < bt || (lt === bt && seqs[lslot] < seqs[heap[bp + 1]])) break
      const ip = 2 * (PAD + i)
      heap[ip] = bt
      heap[ip + 1] = heap[bp + 1]
      i = best
    }
    const ip = 2 * (PAD + i)
    heap[ip] = lt
    heap[ip + 1] = lslot
    return true
  }

  #growHeap (): void {
    const heap = new Float64Array(2 * this.#heap.length)
    heap.set(this.#heap)
    this.#heap = heap
  }

  #growSlots (): void {
    const capacity = this.#seq.length * 2
    const s = new Float64Array(capacity); s.set(this.#seq); this.#seq = s
    const n = new Int32Array(3 * capacity); n.set(this.#ints); this.#ints = n
    const f = new Int32Array(capacity); f.set(this.#free); this.#free = f
    for (let i = this.#obj.length; i < capacity; i++) this.#obj.push(undefined)
  }
}
