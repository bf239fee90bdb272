/**
 * A discovery option is unusable (a negative interval, a fractional count). `option` names the
 * option so a caller can point at it.
 */
export class DiscoveryOptionError extends Error {
  override readonly name = 'DiscoveryOptionError'
  /** The option at fault, e.g. `targetOutbound`. */
  readonly option: string

  /**
   * An error naming `option`.
   *
   * @param option - the option at fault
   * @param message - what is wrong with its value
   */
  constructor (option: string, message: string) {
    super(`invalid discovery option "${option}": ${message}`)
    this.option = option
  }
}
