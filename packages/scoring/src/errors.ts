import { OptionError } from '@hearsay/sansio'

/**
 * A scoring option is unusable: a negative weight, a zero threshold, a cap below one. The
 * shared {@link OptionError} under the name scoring has always thrown; `option` names the
 * option (e.g. `threshold` or `infractions.bad-vote`).
 */
export class ScoringOptionError extends OptionError {
  override readonly name = 'ScoringOptionError'
}
