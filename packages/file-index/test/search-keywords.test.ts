import assert from 'node:assert/strict'
import { CID } from 'multiformats/cid'
import { keywordCid, keywords, matches, rarestWord, MAX_KEYWORDS } from '../dist/search/keywords.js'

describe('search keywords', () => {
  it('splits a name into lower-case words on anything but letters and digits', () => {
    assert.deepEqual(keywords('Ubuntu Server 24.04 ISO'), ['ubuntu', 'server', '24', '04', 'iso'])
    assert.deepEqual(keywords('my_holiday-photos(2024).tar.gz'), ['my', 'holiday', 'photos', '2024', 'tar', 'gz'])
    assert.deepEqual(keywords('Ärger über Straße — 東京 tower'), ['ärger', 'über', 'straße', '東京', 'tower'])
  })

  it('drops one-character words and repeats, and caps the count', () => {
    assert.deepEqual(keywords('a b c de DE e f gh'), ['de', 'gh'])
    const many = Array.from({ length: 40 }, (_, i) => `word${i}`).join(' ')
    assert.equal(keywords(many).length, MAX_KEYWORDS)
    assert.deepEqual(keywords(many, 3), ['word0', 'word1', 'word2'])
    assert.deepEqual(keywords(''), [])
    assert.deepEqual(keywords('!!! ... ---'), [])
    assert.deepEqual(keywords(42 as unknown as string), [])
  })

  it('cuts over-long words', () => {
    assert.equal(keywords('x'.repeat(500))[0].length, 64)
  })

  it('matches a name only when it has every word', () => {
    assert.ok(matches('Ubuntu Server 24.04 ISO', ['server']))
    assert.ok(matches('Ubuntu Server 24.04 ISO', ['iso', 'ubuntu']))
    assert.ok(!matches('Ubuntu Server 24.04 ISO', ['server', 'desktop']))
    assert.ok(!matches('Ubuntu Server 24.04 ISO', ['serv']), 'whole words, not prefixes')
    assert.ok(!matches('Ubuntu Server', []))
  })

  it('derives stable, domain-separated CIDv1 raw keyword CIDs', async () => {
    const cid = await keywordCid('server')
    assert.equal(cid.version, 1)
    assert.equal(cid.code, 0x55)
    assert.equal(cid.multihash.code, 0x12)
    assert.ok(cid.equals(await keywordCid('server')))
    assert.ok(!cid.equals(await keywordCid('servers')))
    assert.equal(cid.toString(), (await keywordCid('server')).toString())
    // the same string without the domain prefix gives another CID
    const { sha256 } = await import('multiformats/hashes/sha2')
    const plain = CID.createV1(0x55, await sha256.digest(new TextEncoder().encode('server')))
    assert.ok(!cid.equals(plain))
  })

  it('looks up the longest word', () => {
    assert.equal(rarestWord(['ubuntu', 'server', 'iso']), 'ubuntu')
    assert.equal(rarestWord(['iso', 'noble']), 'noble')
    assert.equal(rarestWord([]), undefined)
  })
})
