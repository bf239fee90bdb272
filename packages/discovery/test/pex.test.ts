import assert from 'node:assert/strict'
import {
  PEX_LIMITS, PexMessage, decodePexFrame, encodePexRequest, encodePexResponse, readPexPeers
} from '@hearsay/discovery'
import { multiaddr } from '@multiformats/multiaddr'
import { lpStream, streamPair } from '@libp2p/utils'
import { boundedLength } from '../dist/pex.js'

// valid Ed25519 peer ids
const IDS = [
  '12D3KooWE5994Zvfi5khEuKv2HwrBMgZ5H2EZVJVccMEjUSKcwMA',
  '12D3KooWNrBQAqBeWFdVpLwX1o6XhQWHFA1ZSFVt7rpKdAETmXc1',
  '12D3KooWLFTXBdAQcGiztAu4iBvfiXFJ3VHduFtWweC8ohfGFNjo'
]

describe('peer exchange frames', () => {
  it('round-trips a request and an answer', () => {
    const req = decodePexFrame(encodePexRequest(25))
    assert.ok(req.ok)
    assert.equal(req.frame.request?.max, 25)
    const a = IDS[0]
    const res = decodePexFrame(encodePexResponse([{ peer: a, addrs: ['/ip4/127.3.0.1/tcp/4001', 'garbage'], ageMs: 61_000 }]))
    assert.ok(res.ok)
    const answer = readPexPeers(res.frame.response?.peers ?? [], undefined)
    assert.deepEqual(answer, { records: [{ peer: a, addrs: ['/ip4/127.3.0.1/tcp/4001'], ageMs: 61_000 }], invalid: 0 })
  })

  it('turns garbage into a malformed-frame, never an exception', () => {
    for (const bytes of [new Uint8Array([0xff, 0xff, 0xff]), new Uint8Array([0x0a, 0x50, 0x01]), Uint8Array.from({ length: 64 }, (_, i) => (i * 37) & 0xff)]) {
      const decoded = decodePexFrame(bytes)
      assert.equal(decoded.ok, false)
      if (!decoded.ok) assert.ok(['malformed-frame', 'unexpected-frame'].includes(decoded.infraction), decoded.infraction)
    }
  })

  it('needs exactly one of request and response', () => {
    const both = decodePexFrame(PexMessage.encode({ request: { max: 1 }, response: { peers: [] } }))
    assert.ok(!both.ok && both.infraction === 'unexpected-frame')
    const neither = decodePexFrame(new Uint8Array(0))
    assert.ok(!neither.ok && neither.infraction === 'unexpected-frame')
  })

  it('caps repeated fields while decoding: more than 1000 peers or 8 addresses is an oversized-frame', () => {
    const id = new Uint8Array(34).fill(1)
    const tooMany = PexMessage.encode({ response: { peers: Array.from({ length: 1001 }, () => ({ id, addrs: [], age: 0 })) } })
    const many = decodePexFrame(tooMany)
    assert.ok(!many.ok && many.infraction === 'oversized-frame')
    const addr = multiaddr('/ip4/1.2.3.4/tcp/1').bytes
    const tooManyAddrs = PexMessage.encode({ response: { peers: [{ id, addrs: Array.from({ length: 9 }, () => addr), age: 0 }] } })
    const addrs = decodePexFrame(tooManyAddrs)
    assert.ok(!addrs.ok && addrs.infraction === 'oversized-frame')
    const big = decodePexFrame(new Uint8Array(PEX_LIMITS.maxFrameBytes + 1))
    assert.ok(!big.ok && big.infraction === 'oversized-frame')
  })

  it('drops itself, unreadable ids and addresses that name another peer', () => {
    const [me, a, b] = IDS
    const frame = decodePexFrame(encodePexResponse([
      { peer: me, addrs: ['/ip4/1.1.1.1/tcp/1'], ageMs: 0 },
      { peer: a, addrs: [`/ip4/2.2.2.2/tcp/1/p2p/${a}`, `/ip4/3.3.3.3/tcp/1/p2p/${b}`], ageMs: 0 }
    ]))
    assert.ok(frame.ok)
    const peers = [...(frame.frame.response?.peers ?? []), { id: new Uint8Array([1, 2, 3]), addrs: [], age: 0 }]
    const answer = readPexPeers(peers, me)
    assert.deepEqual(answer.records.map(r => [r.peer, r.addrs]), [[a, ['/ip4/2.2.2.2/tcp/1']]])
    assert.equal(answer.invalid, 1)
  })
})

describe('peer exchange length prefixes', () => {
  it('refuses a prefix of endless continuation bytes after the few bytes a frame needs (lpStream alone buffered them until the read timed out)', async () => {
    const [a, b] = await streamPair()
    const lp = lpStream(b, { maxDataLength: PEX_LIMITS.maxFrameBytes, maxBufferSize: PEX_LIMITS.maxFrameBytes + 16, lengthDecoder: boundedLength(PEX_LIMITS.maxFrameBytes) })
    const read = lp.read({ signal: AbortSignal.timeout(5000) })
    a.send(new Uint8Array(64).fill(0xff))
    await assert.rejects(read, (err: Error) => err.name === 'InvalidDataLengthLengthError')
    a.abort(new Error('done'))
  })
})
