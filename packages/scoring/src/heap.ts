/**
 * A binary min-heap ordered by `less`. The ledger uses it with lazy deletion: it pushes a new
 * node whenever an entry changes and skips nodes that no longer match the live entry, which
 * keeps every update O(log n) without a decrease-key operation.
 */
export class MinHeap<T> {
  readonly #less: (a: T, b: T) => boolean
  #items: T[] = []

  /** @param less - `true` when `a` must come out before `b` */
  constructor (less: (a: T, b: T) => boolean) {
    this.#less = less
  }

  /** How many nodes the heap holds, stale ones included. */
  get size (): number {
    return this.#items.length
  }

  push (item: T): void {
    const items = this.#items
    items.push(item)
    let i = items.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!this.#less(items[i], items[parent])) break
      this.#swap(i, parent)
      i = parent
    }
  }

  /** The smallest node, without removing it. */
  peek (): T | undefined {
    return this.#items[0]
  }

  /** Remove and return the smallest node. */
  pop (): T | undefined {
    const items = this.#items
    if (items.length === 0) return undefined
    const top = items[0]
    const last = items.pop() as T
    if (items.length > 0) {
      items[0] = last
      this.#siftDown(0)
    }
    return top
  }

  /** Keep only the nodes for which `keep` is true, then restore heap order in O(n). */
  retain (keep: (item: T) => boolean): void {
    this.#items = this.#items.filter(keep)
    for (let i = (this.#items.length >> 1) - 1; i >= 0; i--) this.#siftDown(i)
  }

  #siftDown (start: number): void {
    const items = this.#items
    const n = items.length
    let i = start
    for (;;) {
      const left = 2 * i + 1
      const right = left + 1
      let smallest = i
      if (left < n && this.#less(items[left], items[smallest])) smallest = left
      if (right < n && this.#less(items[right], items[smallest])) smallest = right
      if (smallest === i) return
      this.#swap(i, smallest)
      i = smallest
    }
  }

  #swap (a: number, b: number): void {
    const items = this.#items
    const tmp = items[a]
    items[a] = items[b]
    items[b] = tmp
  }
}
