/**
 * SIGINT/SIGTERM as an AbortSignal: the first one aborts (commands then shut down cleanly and
 * exit 130), a second one exits at once, as users expect of Ctrl-C pressed twice.
 */
let controller: AbortController | undefined
let received: NodeJS.Signals | undefined

/** The signal that aborts on the first SIGINT/SIGTERM (handlers installed on first call). */
export function interruptSignal (): AbortSignal {
  if (controller == null) {
    const c = controller = new AbortController()
    const on = (name: NodeJS.Signals): void => {
      if (received != null) process.exit(130)
      received = name
      c.abort(new Error(`interrupted by ${name}`))
    }
    process.on('SIGINT', on)
    process.on('SIGTERM', on)
  }
  return controller.signal
}

/** The signal received, if any. */
export function interruptedBy (): NodeJS.Signals | undefined {
  return received
}
