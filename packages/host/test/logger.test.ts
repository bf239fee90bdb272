import assert from 'node:assert/strict'
import { disable, enable } from '@libp2p/logger'
import { leanComponentLogger, leanLogger } from '../dist/logger.js'

/** Run `fn` with stderr captured (where `@libp2p/logger` writes), and return what was written. */
function captureStderr (fn: () => void): string {
  const write = process.stderr.write.bind(process.stderr)
  let text = ''
  process.stderr.write = (chunk: string | Uint8Array): boolean => {
    text += String(chunk)
    return true
  }
  try {
    fn()
  } finally {
    process.stderr.write = write
  }
  return text
}

describe('leanLogger', () => {
  const saved = process.env.DEBUG
  afterEach(() => {
    disable()
    if (saved == null) delete process.env.DEBUG
    else enable(saved)
  })

  it('writes nothing and makes no debug instance while its namespace is off', () => {
    disable()
    const log = leanLogger('hearsay-test:off')
    const text = captureStderr(() => {
      log('hello %s', 'world')
      log.error('bad %s', 'thing')
      log.trace('detail')
    })
    assert.equal(text, '')
    assert.equal(log.enabled, false)
    assert.equal((log as any).real, undefined)
  })

  it('logs once its namespace is enabled after it was made, as @libp2p/logger does', () => {
    disable()
    const log = leanComponentLogger().forComponent('hearsay-test:later')
    enable('hearsay-test:later')
    assert.equal(log.enabled, true)
    const text = captureStderr(() => { log('hello %s', 'world') })
    assert.match(text, /hearsay-test:later hello world/)
  })

  it('logs errors under <namespace>:error alone', () => {
    enable('hearsay-test:err:error')
    const log = leanLogger('hearsay-test:err')
    const text = captureStderr(() => {
      log('not this')
      log.error('this one')
    })
    assert.doesNotMatch(text, /not this/)
    assert.match(text, /hearsay-test:err:error this one/)
  })

  it('scopes below itself: newScope names <namespace>:<scope>', () => {
    enable('hearsay-test:parent:child')
    const parent = leanLogger('hearsay-test:parent')
    const child = parent.newScope('child')
    assert.equal(parent.enabled, false)
    assert.equal(child.enabled, true)
    assert.match(captureStderr(() => { child('x') }), /hearsay-test:parent:child x/)
  })

  it('decides trace when made, as @libp2p/logger does', () => {
    enable('hearsay-test:tr:trace')
    const log = leanLogger('hearsay-test:tr')
    assert.match(captureStderr(() => { log.trace('fine detail') }), /hearsay-test:tr:trace fine detail/)
    disable()
    const quiet = leanLogger('hearsay-test:tr')
    enable('hearsay-test:tr:trace')
    assert.equal(captureStderr(() => { quiet.trace('fine detail') }), '')
  })
})
