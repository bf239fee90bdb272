/** A gossip API was used wrongly: a topic not subscribed, subscribed twice, an option out of range. */
export class GossipError extends Error {
  override readonly name = 'GossipError'
}
