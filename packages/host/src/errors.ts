import { OptionError } from '@hearsay/sansio'

/**
 * A host option is unusable: an unparsable multiaddr, an unwritable data directory, a port
 * already in use. `option` names the option so a CLI can point at the flag. An
 * `OptionError` (`@hearsay/sansio`) under the name the host has always thrown.
 */
export class InvalidOptionError extends OptionError {
  override readonly name: string = 'InvalidOptionError'
}
