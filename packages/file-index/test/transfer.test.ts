import assert from 'node:assert/strict'
import { ManualClock, seededRng, systemClock, type TimedClock } from '@hearsay/sansio'
import { peerIdFromString } from '@libp2p/peer-id'
import { streamPair } from '@libp2p/utils'
import { Uint8ArrayList } from 'uint8arraylist'
import { decodeFrame, encodeFrame, frameDecoder, parseFileId, type PieceMessage } from '@hearsay/file-index'
import { encodePieceFrame } from '../dist/wire.js'
import { Download } from '../dist/download.js'
import { Library } from '../dist/library.js'
import { UploadSession } from '../dist/upload.js'
import type { TransferContext } from '../dist/transfer.js'
import { LimitedConnectionError, type Logger, type PeerId, type Stream } from '@libp2p/interface'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'

const ALICE = peerIdFromString('12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA')
const BOB = peerIdFromString('12D3KooWE5994Zvfi5khEuKv2HwrBMgZ5H2EZVJVccMEjUSKcwMA')
const PIECE = 16 * 1024

const log = Object.assign(() => {}, { error: () => {}, trace: () => {}, newScope: () => log, enabled: false }) as unknown as Logger

interface Reported { peer: string, infraction: string }

/** A transfer context whose libp2p parts hand out the given stream to `provider`. */
function context (self: PeerId, clock: TimedClock, reports: Reported[], provider?: { peer: PeerId, stream: Stream }): TransferContext {
  return {
    components: {
      peerId: self,
      connectionManager: {
        getConnections: () => provider == null ? [] : [{ remotePeer: provider.peer }],
        openConnection: async () => await Promise.resolve({ newStream: async () => await Promise.resolve(provider?.stream) })
      },
      peerStore: { merge: async () => {} },
      contentRouting: { findProviders: async function * () {} }
    } as any,
    settings: { protocol: '/hearsay/pieces/1.0.0', wire: { maxRequestBytes: 4 * 2 ** 20, maxManifestBytes: 4 * 2 ** 20, maxControlFrameBytes: 1024 }, picker: {}, maxPeers: 4, maxPendingWrites: 8, maxQueuedRequests: 16 },
    clock,
    rng: seededRng('transfer'),
    log,
    reporter: { report: (peer, infraction) => { reports.push({ peer: peer.toString(), infraction }) }, credit: () => {} },
    stats: { uploadedBytes: 0, uploadedPieces: 0, downloadedBytes: 0, duplicateBytes: 0, badPieces: 0, activeUploads: 0 }
  }
}

async function library (bytes?: Uint8Array): Promise<{ library: Library, id?: string }> {
  const lib = new Library(undefined, log, PIECE)
  await lib.open()
  if (bytes == null) return { library: lib }
  const file = await lib.add(bytes, { name: 'data.bin' })
  return { library: lib, id: file.id }
}

/** The frames a downloader's end of `stream` receives. */
function received (stream: Stream): PieceMessage[] {
  const frames: PieceMessage[] = []
  const decoder = frameDecoder(8 * 2 ** 20)
  stream.addEventListener('message', event => {
    for (const bytes of decoder.decode(event.data)) {
      const decoded = decodeFrame(bytes)
      if (decoded.ok) frames.push(decoded.frame)
    }
  })
  return frames
}

const settle = async (): Promise<void> => { await new Promise(resolve => setTimeout(resolve, 50)) }
const data = Uint8Array.from({ length: 3 * PIECE + 100 }, (_, i) => (i * 7) % 251)

describe('UploadSession over a stream pair', () => {
  it('answers a hello with the manifest and bitfield, and a request with the piece', async () => {
    const { library: lib, id } = await library(data)
    const [downloader, provider] = await streamPair()
    const reports: Reported[] = []
    const ctx = context(ALICE, systemClock, reports)
    let ended = false
    const session = new UploadSession(BOB, provider, lib, ctx, () => { ended = true })
    const frames = received(downloader)
    downloader.send(encodeFrame({ type: 'hello', file: parseFileId(id as string).bytes, wantManifest: true }))
    downloader.send(encodeFrame({ type: 'request', index: 1, offset: 0, length: PIECE }))
    await settle()
    assert.deepEqual(frames.map(f => f.type), ['manifest', 'bitfield', 'piece'])
    const piece = frames[2] as Extract<PieceMessage, { type: 'piece' }>
    assert.deepEqual(new Uint8ArrayList(piece.data).subarray(), data.subarray(PIECE, 2 * PIECE))
    assert.equal(ctx.stats.uploadedPieces, 1)
    assert.equal(ctx.stats.uploadedBytes, PIECE)
    assert.deepEqual(reports, [])
    session.close()
    assert.ok(ended)
    await lib.close()
  })

  it('sends the pieces of requests queued together in one send, in order, and still serves a request that comes once the queue drained', async () => {
    const { library: lib, id } = await library(data)
    const [downloader, provider] = await streamPair()
    const ctx = context(ALICE, systemClock, [])
    // the sends that carry pieces (the manifest and bitfield go one by one, before any request)
    let pieceSends = 0
    const send = provider.send.bind(provider)
    provider.send = (bytes: Uint8Array | Uint8ArrayList) => {
      if (bytes.byteLength >= PIECE) pieceSends++
      return send(bytes)
    }
    const session = new UploadSession(BOB, provider, lib, ctx)
    const frames = received(downloader)
    downloader.send(encodeFrame({ type: 'hello', file: parseFileId(id as string).bytes, wantManifest: false }))
    await settle()
    const requests = new Uint8ArrayList()
    for (const index of [2, 0, 3, 1]) requests.append(encodeFrame({ type: 'request', index, offset: 0, length: index === 3 ? 100 : PIECE }))
    // a part of a piece, too
    requests.append(encodeFrame({ type: 'request', index: 1, offset: 10, length: 20 }))
    downloader.send(requests)
    await settle()
    assert.equal(pieceSends, 1)
    downloader.send(encodeFrame({ type: 'request', index: 0, offset: 0, length: PIECE }))
    await settle()
    assert.equal(pieceSends, 2)
    const pieces = frames.filter(f => f.type === 'piece')
    assert.deepEqual(pieces.map(p => [p.index, p.offset, p.data.byteLength]), [[2, 0, PIECE], [0, 0, PIECE], [3, 0, 100], [1, 0, PIECE], [1, 10, 20], [0, 0, PIECE]])
    for (const p of pieces) {
      const at = p.index * PIECE + p.offset
      assert.deepEqual(new Uint8ArrayList(p.data).subarray(), data.subarray(at, at + p.data.byteLength))
    }
    assert.equal(ctx.stats.uploadedPieces, 6)
    session.close()
    await lib.close()
  })

  it('rejects a file it does not have, and reports a request before hello and aborts', async () => {
    const { library: lib } = await library()
    const reports: Reported[] = []
    const ctx = context(ALICE, systemClock, reports)
    const [a, b] = await streamPair()
    const frames = received(a)
    void new UploadSession(BOB, b, lib, ctx)
    a.send(encodeFrame({ type: 'hello', file: parseFileId('bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy').bytes, wantManifest: true }))
    await settle()
    assert.deepEqual(frames, [{ type: 'reject', reason: 'not-found' }])

    const [c, d] = await streamPair()
    void new UploadSession(BOB, d, lib, ctx)
    c.send(encodeFrame({ type: 'request', index: 0, offset: 0, length: 10 }))
    await settle()
    assert.deepEqual(reports, [{ peer: BOB.toString(), infraction: 'unexpected-frame' }])
    assert.equal(d.status, 'aborted')
    await lib.close()
  })
})

describe('Download over a stream pair', () => {
  it('fetches every piece from a provider\'s UploadSession, verifies it and stores it', async () => {
    const { library: seeder, id } = await library(data)
    const { library: leecher } = await library()
    const [mine, theirs] = await streamPair()
    const reports: Reported[] = []
    void new UploadSession(BOB, theirs, seeder, context(BOB, systemClock, reports))
    const ctx = context(ALICE, systemClock, reports, { peer: BOB, stream: mine })
    const cid = parseFileId(id as string)
    const result = await new Download(leecher, ctx, cid, { dht: false, signal: AbortSignal.timeout(10_000) }).run()
    assert.equal(result.piecesFetched, 4)
    assert.deepEqual(result.fromPeers, { [BOB.toString()]: data.byteLength })
    assert.ok(leecher.file(cid.toString())?.complete)
    assert.deepEqual(await leecher.cat(cid.toString()), data)
    assert.equal(ctx.stats.downloadedBytes, data.byteLength)
    assert.deepEqual(reports, [])
    await seeder.close()
    await leecher.close()
  })

  it('stores a verified piece as the chunks it arrived in, without copying them, and never a piece that does not hash right', async () => {
    const { library: seeder, id } = await library(data)
    const file = seeder.file(id as string)
    assert.ok(file != null)
    const cid = parseFileId(id as string)
    /** A provider by hand: each piece goes out as three chunks; piece `damaged` has a bit flipped. */
    const provider = (stream: Stream, damaged: number): void => {
      const decoder = frameDecoder(1024)
      stream.addEventListener('message', event => {
        for (const bytes of decoder.decode(event.data)) {
          const frame = decodeFrame(bytes)
          if (!frame.ok) continue
          if (frame.frame.type === 'hello') {
            stream.send(encodeFrame({ type: 'manifest', manifest: file.manifestBytes }))
            stream.send(encodeFrame({ type: 'bitfield', bits: file.have.bytes }))
          } else if (frame.frame.type === 'request' && stream.status === 'open') {
            const { index, length } = frame.frame
            const piece = data.slice(index * PIECE, index * PIECE + length)
            if (index === damaged) piece[100] ^= 1
            const chunks = [piece.slice(0, 1000), piece.slice(1000, 9000), piece.slice(9000)].filter(c => c.byteLength > 0)
            stream.send(encodePieceFrame(index, 0, new Uint8ArrayList(...chunks)))
          }
        }
      })
    }

    const { library: leecher } = await library()
    const [mine, theirs] = await streamPair()
    const reports: Reported[] = []
    provider(theirs, -1)
    await new Download(leecher, context(ALICE, systemClock, reports, { peer: BOB, stream: mine }), cid, { dht: false, signal: AbortSignal.timeout(10_000) }).run()
    assert.deepEqual(await leecher.cat(cid.toString()), data)
    for (let index = 0; index < file.manifest.pieces.length; index++) {
      // the stream pair's muxer delivers a frame as one message; the stored piece is a view of
      // that message (its buffer holds the frame's header too), not a copy
      for (const chunk of await leecher.store.getPiece(file.manifest.pieces[index])) {
        assert.ok(chunk.buffer.byteLength > chunk.byteLength, `piece ${index} is stored as the bytes it arrived in`)
      }
    }

    const { library: other } = await library()
    const [ours, bad] = await streamPair()
    provider(bad, 2)
    await assert.rejects(new Download(other, context(ALICE, systemClock, reports, { peer: BOB, stream: ours }), cid, { dht: false, signal: AbortSignal.timeout(500) }).run())
    assert.deepEqual(reports, [{ peer: BOB.toString(), infraction: 'bad-piece' }])
    assert.equal(await other.store.hasPiece(file.manifest.pieces[2]), false, 'the damaged piece was not stored')
    assert.equal(other.file(cid.toString())?.have.get(2), false)
    await seeder.close()
    await leecher.close()
    await other.close()
  })

  /**
   * A connection manager with libp2p's choice: an open unlimited connection to the peer first,
   * else the limited (relayed) one, on which no piece stream opens; and a peer store that knows
   * `addrs` of the peer. A dial of the peer's direct addresses fails (it is behind a NAT).
   * `direct()` adds an unlimited connection whose stream is `stream` (the fake clock never moves:
   * no back-off ever ends).
   */
  function relayedFirst (stream: Stream, addrs: string[], newStream = async (): Promise<Stream> => await Promise.resolve(stream)): { manager: any, peerStore: any, opens: () => number, directDials: () => number, direct: () => void } {
    const limited = { remotePeer: BOB, status: 'open', limits: { bytes: 128n * 1024n }, newStream: async () => await Promise.reject(new LimitedConnectionError()) }
    const connections: any[] = [limited]
    let opens = 0
    let directDials = 0
    const manager = {
      getConnections: () => connections.filter(c => c.status === 'open'),
      openConnection: async (target: PeerId | Multiaddr[]) => {
        opens++
        if (Array.isArray(target)) {
          directDials++
          assert.ok(target.every(a => !a.toString().includes('/p2p-circuit')), 'only direct addresses dialled')
          throw new Error('dial failed')
        }
        return await Promise.resolve(connections.find(c => c.limits == null) ?? limited)
      }
    }
    const peerStore = { merge: async () => {}, get: async () => await Promise.resolve({ addresses: addrs.map(a => ({ multiaddr: multiaddr(a) })) }) }
    return { manager, peerStore, opens: () => opens, directDials: () => directDials, direct: () => { connections.push({ remotePeer: BOB, status: 'open', newStream }) } }
  }

  const RELAYED = `/ip4/127.0.0.1/tcp/4001/p2p/${ALICE.toString()}/p2p-circuit`

  it('contacts a peer reached only over a limited connection again as soon as an unlimited one opens, once, not after the back-off', async () => {
    const { library: seeder, id } = await library(data)
    const { library: leecher } = await library()
    const [mine, theirs] = await streamPair()
    void new UploadSession(BOB, theirs, seeder, context(BOB, systemClock, []))
    const ctx = context(ALICE, new ManualClock(), [])
    // the peer store knows the peer by its relayed address only: nothing to dial
    const peer = relayedFirst(mine, [RELAYED])
    ctx.components.connectionManager = peer.manager
    ctx.components.peerStore = peer.peerStore
    const download = new Download(leecher, ctx, parseFileId(id as string), { dht: false, signal: AbortSignal.timeout(10_000) })
    const run = download.run()
    await settle()
    assert.equal(peer.opens(), 0, 'no dial: libp2p would only set up another circuit')
    download.connected(ALICE)
    await settle()
    assert.equal(peer.opens(), 0, 'another peer\'s connection changes nothing')
    peer.direct()
    download.connected(BOB)
    download.connected(BOB)
    const result = await run
    assert.equal(peer.opens(), 1, 'the first event of a direct connection retried at once, the second did nothing')
    assert.deepEqual(result.fromPeers, { [BOB.toString()]: data.byteLength })
    await seeder.close()
    await leecher.close()
  })

  it('takes an unlimited connection that opened while it dialled at once, and never retries a peer that failed over one', async () => {
    const { library: seeder, id } = await library(data)
    const { library: leecher } = await library()
    const [mine, theirs] = await streamPair()
    void new UploadSession(BOB, theirs, seeder, context(BOB, systemClock, []))
    const ctx = context(ALICE, new ManualClock(), [])
    // the peer's own address fails to dial (a NAT); DCUtR's direct connection comes meanwhile
    const peer = relayedFirst(mine, [RELAYED, '/ip4/192.0.2.7/tcp/4001'])
    const open = peer.manager.openConnection
    peer.manager.openConnection = async (target: PeerId | Multiaddr[]) => {
      try {
        return await open(target)
      } finally {
        if (peer.opens() === 1) peer.direct()
      }
    }
    ctx.components.connectionManager = peer.manager
    ctx.components.peerStore = peer.peerStore
    const result = await new Download(leecher, ctx, parseFileId(id as string), { dht: false, signal: AbortSignal.timeout(10_000) }).run()
    assert.equal(peer.directDials(), 1, 'the direct address dialled, not another circuit')
    assert.equal(peer.opens(), 2)
    assert.deepEqual(result.fromPeers, { [BOB.toString()]: data.byteLength })

    // a peer whose stream failed on an unlimited connection waits out its back-off
    const { library: other } = await library()
    const refusing = relayedFirst(mine, [], async () => await Promise.reject(new Error('protocol selection failed')))
    refusing.direct()
    const ctx2 = context(ALICE, new ManualClock(), [])
    ctx2.components.connectionManager = refusing.manager
    const controller = new AbortController()
    const download = new Download(other, ctx2, parseFileId(id as string), { dht: false, signal: controller.signal })
    const run = download.run()
    await settle()
    download.connected(BOB)
    await settle()
    assert.equal(refusing.opens(), 1)
    controller.abort()
    await assert.rejects(run)
    await seeder.close()
    await leecher.close()
    await other.close()
  })

  it('reports a provider that sends a piece before the handshake, and drops it', async () => {
    const { library: seeder, id } = await library(data)
    const { library: leecher } = await library()
    const [mine, theirs] = await streamPair()
    const reports: Reported[] = []
    const clock = new ManualClock()
    const ctx = context(ALICE, clock, reports, { peer: BOB, stream: mine })
    const controller = new AbortController()
    const download = new Download(leecher, ctx, parseFileId(id as string), { dht: false, signal: controller.signal }).run()
    theirs.addEventListener('message', () => {
      if (theirs.status === 'open') theirs.send(encodeFrame({ type: 'piece', index: 0, offset: 0, data: new Uint8Array(10) }))
    })
    await settle()
    assert.deepEqual(reports, [{ peer: BOB.toString(), infraction: 'unrequested-data' }])
    assert.equal(mine.status, 'aborted')
    controller.abort()
    await assert.rejects(download)
    await seeder.close()
    await leecher.close()
  })
})
