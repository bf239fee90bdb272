import { OptionError } from '@hearsay/sansio'

/**
 * A discovery option is unusable (a negative interval, a fractional count). `option` names the
 * option so a caller can point at it. An `OptionError` (`@hearsay/sansio`) under the name
 * discovery has always thrown.
 */
export class DiscoveryOptionError extends OptionError {
  override readonly name: string = 'DiscoveryOptionError'
}
