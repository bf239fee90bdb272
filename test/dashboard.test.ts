/// <reference lib="dom" />
import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser } from 'playwright-core'
import { JsonProcess } from '../examples/demo/src/process.ts'
import { publicKeyHex, signTx, txToJson } from '../examples/tx-relay/src/tx.ts'

const cli = fileURLToPath(new URL('../examples/tx-relay/src/cli.ts', import.meta.url))
/** Debian's Chromium (`apt-get install chromium`, done by .ci/run); never a downloaded browser. */
const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find(path => existsSync(path))

describe('hearsay-relay dashboard in Chromium', function () {
  this.timeout(120_000)
  let devnet: JsonProcess | undefined
  let browser: Browser | undefined

  before(function () {
    if (CHROMIUM == null) {
      console.log('      (skipped: no Chromium; `apt-get install chromium` — .ci/run installs it)')
      this.skip()
    }
  })

  after(async () => {
    await browser?.close()
    await devnet?.stop()
  })

  it('loads, shows every node and its links, and updates when a transaction is sent', async () => {
    devnet = new JsonProcess('devnet', cli, ['devnet', '--nodes', '3', '--relay', 'dandelion', '--json'])
    const started = await devnet.waitFor(e => e.event === 'devnet', 60_000)
    const apis = (started.nodes as Array<{ api: string }>).map(n => n.api)
    const token = (await readFile((started.nodes as Array<{ cookie: string }>)[0].cookie, 'utf8')).trim()

    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] })
    const page = await browser.newPage()
    const errors: string[] = []
    page.on('pageerror', err => { errors.push(err.message) })
    await page.goto(`${apis[1]}/`)
    await page.waitForFunction(() => document.getElementById('summary')?.textContent?.startsWith('3/3 nodes up') === true, undefined, { timeout: 30_000 })
    assert.equal(await page.locator('#graph g[data-node]').count(), 3, 'three nodes drawn')
    assert.equal(await page.locator('#nodes tbody tr').count(), 3, 'three rows in the node table')
    await page.waitForFunction(() => document.querySelectorAll('#graph line').length >= 2, undefined, { timeout: 30_000 })

    const { privateKey } = generateKeyPairSync('ed25519')
    const tx = signTx({ from: publicKeyHex(privateKey), to: 'ab'.repeat(32), amount: 3n, fee: 2n, nonce: 0n }, privateKey)
    const res = await fetch(`${apis[0]}/tx`, { method: 'POST', body: JSON.stringify(txToJson(tx)), headers: { authorization: `Bearer ${token}` } })
    const { id } = await res.json() as { id: string }
    // the new transaction appears in the list and, once every node has it, reads 3/3
    await page.waitForFunction((prefix) => [...document.querySelectorAll('#txs tbody tr')]
      .some(row => row.textContent?.includes(prefix) === true && row.textContent.includes('3/3')), id.slice(0, 16), { timeout: 30_000 })
    await page.locator('#txs tbody tr', { hasText: id.slice(0, 16) }).click()
    // every node is coloured by how it first saw it: submitted here, stem or fluff
    const fills = await page.locator('#graph g[data-node] circle').evaluateAll(circles => circles.map(c => c.getAttribute('fill')))
    assert.equal(fills.filter(f => f === '#2a9d4b').length, 1, 'one node has it as submitted locally')
    assert.ok(fills.every(f => ['#2a9d4b', '#f28c28', '#3b6fd8'].includes(f ?? '')), `every node saw it: ${fills.join(' ')}`)
    assert.deepEqual(errors, [], 'no script errors in the page')
  })
})
