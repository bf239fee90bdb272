/**
 * The closed forms `bench papers` compares the simulator with, where a paper states a formula or
 * where its model gives one exactly. Each says which: the papers are not in the repository and
 * the machine has no internet, so a value read off a plot is never guessed here.
 *
 * @module
 */

/**
 * Gnutella's reach after `ttl` hops on a graph where every node has `k` links and no cycle is
 * met: k + k(k-1) + ... = Σ_{h=1..ttl} k(k-1)^(h-1) nodes besides the publisher (the branching
 * arithmetic of the Gnutella analyses, e.g. Ripeanu 2001).
 */
export function gnutellaReach (k: number, ttl: number): number {
  let sum = 0
  for (let h = 1; h <= ttl; h++) sum += k * (k - 1) ** (h - 1)
  return sum
}

/**
 * Fanti & Viswanath's setting (NeurIPS 2017): diffusion on an infinite `d`-regular tree, every
 * link relaying after an exponential delay of one rate, and an eavesdropper with `theta`
 * connections to every node, each also of that rate. The first-timestamp estimator names the
 * node whose copy reached the eavesdropper first. Exact probability that it names the source:
 * while k + 1 nodes have the message, new nodes get it at rate d + k(d - 2) (the links out of
 * the infected subtree) and the eavesdropper hears from them at rate θ(k + 1), each of them
 * equally likely to be first, so
 *
 *   P = Σ_k [Π_{j<k} b_j / (θ(j+1) + b_j)] · θ / (θ(k+1) + b_k),   b_k = d + k(d - 2).
 *
 * This is the model's exact value, derived here from its definition (the paper gives bounds
 * and plots, which cannot be read offline).
 */
export function firstTimestampDetection (d: number, theta: number): number {
  let reach = 1
  let p = 0
  for (let k = 0; k < 1_000_000 && reach > 1e-15; k++) {
    const b = d + k * (d - 2)
    const report = theta * (k + 1)
    p += reach * theta / (report + b)
    reach *= b / (report + b)
  }
  return p
}

/**
 * Diffusion with honest-but-curious spies (a share `p` of the nodes), first-spy estimator, on an
 * infinite `d`-regular tree with one delay rate on every link: the probability (recall) that the
 * first spy to receive the message gets it from the source. Every pending link fires next with
 * equal chance (exponential delays), leads to a spy with probability p, and the source's own
 * links are those of its d not yet used; a dynamic programme over how many the source has left
 * gives the exact value. The model behind the diffusion curves of the Dandelion papers' figures,
 * evaluated exactly here (the figures themselves are simulations).
 */
export function diffusionFirstSpyRecall (d: number, p: number): number {
  // mass[s]: probability that no spy has heard yet and the source has s links still pending
  let mass = new Float64Array(d + 1)
  mass[d] = 1
  let recall = 0
  for (let k = 0; k < 1_000_000; k++) {
    const links = d + k * (d - 2)
    const next = new Float64Array(d + 1)
    let left = 0
    for (let s = 0; s <= d; s++) {
      if (mass[s] === 0) continue
      const mine = s / links
      recall += mass[s] * p * mine
      if (s > 0) next[s - 1] += mass[s] * (1 - p) * mine
      next[s] += mass[s] * (1 - p) * (1 - mine)
    }
    for (let s = 0; s <= d; s++) left += next[s]
    mass = next
    if (left < 1e-15) break
  }
  return recall
}

/**
 * The lower bound on precision of any spreading scheme against a share `p` of spies: p²
 * (Bojja Venkatakrishnan, Fanti & Viswanath, Dandelion, SIGMETRICS 2017); Dandelion++ (Fanti et
 * al., SIGMETRICS 2018) claims to come within a log factor of it, O(p² log(1/p)).
 */
export function precisionLowerBound (p: number): number {
  return p * p
}

/**
 * Dandelion++'s first-spy recall, to first order: a message is exposed when the publisher's own
 * stem relay is a spy, probability p; what else exposes it (a spy next to the publisher hearing
 * the fluff from it first) is of higher order. Dandelion++'s recall curves sit at about p.
 */
export function dandelionRecall (p: number): number {
  return p
}

/**
 * Bitcoin transaction propagation as measured by the Decker–Wattenhofer monitoring of the Bitcoin
 * network (DSN, KIT) on 2014-03-24, before diffusion: the time until half / 90 % of the
 * monitored peers announced a transaction. As quoted by issue #25; not checkable offline.
 */
export const DECKER_WATTENHOFER_TX = { p50Ms: 900, p90Ms: 2600, date: '2014-03-24' } as const

/**
 * Shah & Zaman ("Rumors in a network: who's the culprit?", IEEE Trans. Inf. Theory 2011): the
 * probability that the rumour centre of a complete snapshot names the source of a spread on an
 * infinite `d`-regular tree (d ≥ 3), as the snapshot grows, every link of one exponential delay:
 *
 *   d · I_{1/2}(1/(d − 2), (d − 1)/(d − 2)) − (d − 1),
 *
 * with I the regularised incomplete beta function: 1/4 at d = 3, 4/π − 1 ≈ 0.273 at d = 4, and
 * 1 − ln 2 ≈ 0.307 as d grows. The closed form as we recall it from the paper; it checks against
 * those three values. The value the centrality estimators would reach with every infected node
 * in view.
 */
export function rumourCentreDetection (d: number): number {
  if (!(Number.isInteger(d) && d >= 3)) throw new RangeError('rumour centre: d must be an integer >= 3')
  const a = 1 / (d - 2)
  const b = (d - 1) / (d - 2)
  // I_x(a, b) = ∫_0^{x^a} (1 − s^{1/a})^{b−1} ds / ∫_0^1 (same): t = s^{1/a} takes the t^{a−1} singularity out
  const integral = (upper: number): number => {
    const steps = 200_000
    const h = upper / steps
    let sum = 0
    for (let i = 0; i < steps; i++) sum += (1 - ((i + 0.5) * h) ** (1 / a)) ** (b - 1)
    return sum * h
  }
  return d * integral(0.5 ** a) / integral(1) - (d - 1)
}
