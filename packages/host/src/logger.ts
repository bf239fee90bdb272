import { enabled, logger } from '@libp2p/logger'
import type { ComponentLogger, Logger } from '@libp2p/interface'

/** A lean logger's own state: its namespace, and the real logger once one was needed. */
interface Lean extends Logger {
  namespace: string
  real?: Logger
}

const noop = (): void => {}

/** The real logger of `log`, made the first time its namespace (or an `:error` one) is enabled. */
function realOf (log: Lean): Logger {
  log.real ??= logger(log.namespace)
  return log.real
}

/**
 * What every lean logger shares: `enabled`, `error` and `newScope` are found here, so that a
 * logger nobody enables is one small function. `trace` is the shared no-op: a logger whose trace
 * was enabled when it was made is a real one (as `@libp2p/logger` decides trace at creation too).
 */
const shared = Object.create(Function.prototype, {
  enabled: {
    get (this: Lean): boolean { return this.real?.enabled ?? enabled(this.namespace) },
    set (this: Lean, on: boolean) { realOf(this).enabled = on }
  },
  error: {
    get (this: Lean): Logger['error'] {
      // a debug instance is a plain closure, which needs no `this`
      // eslint-disable-next-line @typescript-eslint/unbound-method
      return this.real != null || enabled(`${this.namespace}:error`) ? realOf(this).error : noop
    }
  },
  trace: { value: noop },
  newScope: {
    value (this: Lean, scope: string): Logger { return leanLogger(`${this.namespace}:${scope}`) }
  }
})

/** `@libp2p/logger`'s test for a trace logger: the namespace matches and some name asks for `:trace`. */
function traceEnabled (namespace: string): boolean {
  return enabled(`${namespace}:trace`) && (process.env.DEBUG ?? '').includes(':trace')
}

/**
 * A logger for `namespace` that behaves as `@libp2p/logger`'s (the same `DEBUG` namespaces, read
 * at each call, so `enable()` later still works) but makes its `debug` instances only once one is
 * enabled. libp2p makes a logger for every connection and every stream (two `debug` instances,
 * a no-op trace logger and a closure each, about 1.6 KB): a host with a few hundred streams
 * held a few hundred KB of loggers that never logged.
 */
export function leanLogger (namespace: string): Logger {
  if (traceEnabled(namespace)) return logger(namespace)
  const log = ((formatter: any, ...args: any[]): void => {
    const real = log.real ?? (enabled(namespace) ? realOf(log) : undefined)
    real?.(formatter, ...args)
  }) as Lean
  Object.setPrototypeOf(log, shared)
  log.namespace = namespace
  return log
}

/**
 * The component logger of a host: {@link leanLogger} for every component, connection and stream.
 */
export function leanComponentLogger (): ComponentLogger {
  return { forComponent: leanLogger }
}
