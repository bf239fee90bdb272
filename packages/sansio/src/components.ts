import type { PeerReporter } from '@hearsay/interface'

/**
 * The node's `scoring` service, when it runs one. libp2p hands services a components object
 * that throws for a service the node does not have, so every hearsay service that reports
 * misbehaviour reads scoring through this instead of touching `components.scoring` directly.
 */
export function scoringOf (components: { scoring?: PeerReporter }): PeerReporter | undefined {
  try {
    const scoring = components.scoring
    return scoring != null && typeof scoring.report === 'function' ? scoring : undefined
  } catch {
    return undefined
  }
}
