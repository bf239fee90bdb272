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
