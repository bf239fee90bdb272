/**
 * The simulator's event queue: a 4-ary min-heap on (time, sequence number). The sequence
 * number is the order of `push`, so events due at the same virtual time run in the order they
 * were scheduled, and a run is a pure function of its seed.
 *
 * The heap keeps each entry's time and sequence number inline (parallel typed arrays indexed
 * by heap position, so a sift compares neighbouring memory) and a slot number; the event's
 * payload (a kind, two integers and one object) lives in slot arrays that never move. A run of
 * tens of millions of events allocates nothing per event but its object payload.
 */
export class EventQueue {
  // heap, by position
  #hTime = new Float64Array(1024)
  #hSeq = new Float64Array(1024)
  #hSlot = new Int32Array(1024)
  #size = 0
  // payloads, by slot
  #kind = new Uint8Array(1024)
  #a = new Int32Array(1024)
  #b = new Int32Array(1024)
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
    return this.#size === 0 ? Infinity : this.#hTime[0]
  }

  /** Schedule an event at virtual `time`: its `kind`, two integers and one object come back from `pop`. */
  push (time: number, kind: number, a: number, b: number, obj: unknown): void {
    let slot: number
    if (this.#freeCount > 0) {
      slot = this.#free[--this.#freeCount]
    } else {
      slot = this.#slots++
      if (slot >= this.#kind.length) this.#growSlots()
    }
    this.#kind[slot] = kind
    this.#a[slot] = a
    this.#b[slot] = b
    this.#obj[slot] = obj
    if (this.#size === this.#hTime.length) this.#growHeap()
    const seq = this.#nextSeq++
    const times = this.#hTime
    const seqs = this.#hSeq
    const slots = this.#hSlot
    let i = this.#size++
    if (this.#size > this.#peak) this.#peak = this.#size
    while (i > 0) {
      const parent = (i - 1) >> 2
      const pt = times[parent]
      if (pt < time || (pt === time && seqs[parent] < seq)) break
      times[i] = pt
      seqs[i] = seqs[parent]
      slots[i] = slots[parent]
      i = parent
    }
    times[i] = time
    seqs[i] = seq
    slots[i] = slot
  }

  /** Take the earliest event into `time`, `kind`, `a`, `b`, `obj`; false when none is left. */
  pop (): boolean {
    if (this.#size === 0) return false
    const times = this.#hTime
    const seqs = this.#hSeq
    const slots = this.#hSlot
    const slot = slots[0]
    this.time = times[0]
    this.kind = this.#kind[slot]
    this.a = this.#a[slot]
    this.b = this.#b[slot]
    this.obj = this.#obj[slot]
    this.#obj[slot] = undefined
    this.#free[this.#freeCount++] = slot
    const size = --this.#size
    if (size === 0) return true
    // sift the last entry down from the root
    const lt = times[size]
    const ls = seqs[size]
    const lslot = slots[size]
    let i = 0
    for (;;) {
      const first = 4 * i + 1
      if (first >= size) break
      let best = first
      let bt = times[first]
      let bs = seqs[first]
      const last = first + 4 < size ? first + 4 : size
      for (let c = first + 1; c < last; c++) {
        const ct = times[c]
        if (ct < bt || (ct === bt && seqs[c] < bs)) {
          best = c
          bt = ct
          bs = seqs[c]
        }
      }
      if (lt < bt || (lt === bt && ls < bs)) break
      times[i] = bt
      seqs[i] = bs
      slots[i] = slots[best]
      i = best
    }
    times[i] = lt
    seqs[i] = ls
    slots[i] = lslot
    return true
  }

  #growHeap (): void {
    const capacity = this.#hTime.length * 2
    const t = new Float64Array(capacity); t.set(this.#hTime); this.#hTime = t
    const s = new Float64Array(capacity); s.set(this.#hSeq); this.#hSeq = s
    const l = new Int32Array(capacity); l.set(this.#hSlot); this.#hSlot = l
  }

  #growSlots (): void {
    const capacity = this.#kind.length * 2
    const k = new Uint8Array(capacity); k.set(this.#kind); this.#kind = k
    const a = new Int32Array(capacity); a.set(this.#a); this.#a = a
    const b = new Int32Array(capacity); b.set(this.#b); this.#b = b
    const f = new Int32Array(capacity); f.set(this.#free); this.#free = f
    for (let i = this.#obj.length; i < capacity; i++) this.#obj.push(undefined)
  }
}
