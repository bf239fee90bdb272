/** Options of {@link waitFor}. */
export interface WaitOptions {
  /** What is awaited, for the error message. */
  what: string
  /** Give up after this long. @default 10_000 */
  timeoutMs?: number
  /** Poll this often. @default 50 */
  intervalMs?: number
}

/** Poll `condition` until it holds; throw naming `what` after a bounded time. */
export async function waitFor (condition: () => boolean | Promise<boolean>, options: WaitOptions): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 10_000
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await condition()) return
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${options.what}`)
    await new Promise(resolve => setTimeout(resolve, options.intervalMs ?? 50))
  }
}
