/**
 * A host option is unusable: an unparsable multiaddr, an unwritable data directory, a port
 * already in use. `option` names the option so a CLI can point at the flag.
 */
export class InvalidOptionError extends Error {
  override readonly name = 'InvalidOptionError'
  /** The option at fault, e.g. `listen` or `dataDir`. */
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
