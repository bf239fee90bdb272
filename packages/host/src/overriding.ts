/**
 * `target` seen through a proxy with some of its properties replaced. Every other function
 * property is bound to `target`, so the proxy never stands in as a method's `this` (private
 * fields and internal slots would not be found on it).
 *
 * The host adapts libp2p's parts this way where they offer no option: an upgrader, a component
 * manager, the components a service is given.
 */
export function overriding<T extends object> (target: T, replacements: Record<string, unknown>): T {
  return new Proxy(target, {
    get: (t, p) => {
      if (typeof p === 'string' && Object.hasOwn(replacements, p)) return replacements[p]
      const value = Reflect.get(t, p)
      return typeof value === 'function' ? value.bind(t) : value
    }
  })
}
