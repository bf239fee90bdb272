/**
 * An option is unusable: a negative interval, a zero threshold, an unparsable address.
 * `option` names it so a caller (a CLI) can point at the flag. Every hearsay package throws
 * this, or a subclass that keeps an older name, for a bad option.
 */
export class OptionError extends Error {
  override readonly name: string = 'OptionError'
  /** The option at fault, e.g. `threshold` or `infractions.bad-vote`. */
  readonly option: string

  /**
   * An error naming `option`.
   *
   * @param option - the option at fault
   * @param message - what is wrong with its value
   * @param options - the underlying `cause`, if any
   */
  constructor (option: string, message: string, options?: ErrorOptions) {
    super(`invalid option "${option}": ${message}`, options)
    this.option = option
  }
}

/**
 * Resolve numeric options over their defaults: each one given must be a finite number, at
 * least its minimum (0 unless `min` says otherwise); anything else throws an
 * {@link OptionError} naming it.
 *
 * @param defaults - every numeric option with its default
 * @param init - the caller's options (other keys are ignored)
 * @param min - minimums other than 0
 */
export function numberOptions<T extends Record<string, number>> (defaults: T, init: Partial<Record<keyof T, unknown>>, min: Partial<Record<keyof T, number>> = {}): T {
  const out: Record<string, number> = { ...defaults }
  for (const name of Object.keys(defaults)) {
    const value = init[name]
    if (value == null) continue
    const least = min[name] ?? 0
    if (typeof value !== 'number' || !Number.isFinite(value) || value < least) throw new OptionError(name, `expected a finite number >= ${least}, got ${String(value)}`)
    out[name] = value
  }
  return out as T
}
