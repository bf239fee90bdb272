// Any unhandled rejection or uncaught exception anywhere in a test run fails the run:
// a node that throws past its adapter is a defect even if the test's own assertions passed.
const failures: unknown[] = []

process.on('unhandledRejection', (reason) => { failures.push(reason) })
process.on('uncaughtException', (err) => { failures.push(err) })

function describeFailure (failure: unknown): string {
  return failure instanceof Error ? (failure.stack ?? failure.message) : String(failure)
}

export const mochaHooks = {
  afterEach (): void {
    if (failures.length > 0) {
      const caught = failures.splice(0)
      throw new Error(`${caught.length} unhandled error(s) during this test; first: ${describeFailure(caught[0])}`)
    }
  }
}
