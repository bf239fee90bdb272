/**
 * A scoring option is unusable: a negative weight, a zero threshold, a cap below one.
 * `option` names the option so a caller can point at it.
 */
export class ScoringOptionError extends Error {
  override readonly name = 'ScoringOptionError'
  /** The option at fault, e.g. `threshold` or `infractions.bad-vote`. */
  readonly option: string

  /**
   * An error naming `option`.
   *
   * @param option - the option at fault
   * @param message - what is wrong with its value
   */
  constructor (option: string, message: string) {
    super(`invalid scoring option "${option}": ${message}`)
    this.option = option
  }
}
