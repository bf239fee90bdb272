import { createHash } from 'node:crypto'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import * as Digest from 'multiformats/hashes/digest'
import { equals } from 'uint8arrays'
import type { Uint8ArrayList } from 'uint8arraylist'
import { InvalidManifestError, FileIndexError } from './errors.ts'
import { Manifest } from './pb/pieces.ts'

/** Default piece size: 256 KiB. */
export const DEFAULT_PIECE_SIZE = 256 * 1024
/** Smallest piece size accepted: 16 KiB. */
export const MIN_PIECE_SIZE = 16 * 1024
/** Largest piece size accepted: 4 MiB (also the largest piece frame on the wire). */
export const MAX_PIECE_SIZE = 4 * 1024 * 1024
/** Largest encoded manifest accepted: 4 MiB (about 123 000 pieces, 30 GiB at 256 KiB). */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024
/** Longest file name, in UTF-8 bytes. */
export const MAX_NAME_BYTES = 1024

const SHA2_256 = 0x12
const HASH_BYTES = 32

/** A file's manifest: what a file id stands for. */
export interface FileManifest {
  /** The file's name (metadata only: never used as a path by this package). */
  name: string
  /** Size in bytes. */
  size: number
  /** Bytes per piece; the last piece may be shorter. */
  pieceSize: number
  /** SHA-256 of every piece, in order. */
  pieces: Uint8Array[]
}

/** SHA-256 of `bytes`: one buffer, or the chunks of one (hashed in order, not joined). */
export function sha256 (bytes: Uint8Array | Uint8ArrayList): Uint8Array {
  if (bytes instanceof Uint8Array) return createHash('sha256').update(bytes).digest()
  const hash = createHash('sha256')
  for (const chunk of bytes) hash.update(chunk)
  return hash.digest()
}

/** How many pieces a file of `size` bytes has. */
export function pieceCount (size: number, pieceSize: number): number {
  return Math.ceil(size / pieceSize)
}

/** The length of piece `index` of `manifest`. */
export function pieceLength (manifest: Pick<FileManifest, 'size' | 'pieceSize'>, index: number): number {
  return Math.min(manifest.pieceSize, manifest.size - index * manifest.pieceSize)
}

/** The block key of a piece: CIDv1, raw codec, its SHA-256. */
export function pieceCid (hash: Uint8Array): CID {
  return CID.createV1(raw.code, Digest.create(SHA2_256, hash))
}

/** The file id of encoded manifest bytes: CIDv1, raw codec, their SHA-256. */
export function manifestCid (bytes: Uint8Array): CID {
  return CID.createV1(raw.code, Digest.create(SHA2_256, sha256(bytes)))
}

/** Parse a file id; throws {@link FileIndexError} when it is not a CIDv1 raw sha2-256. */
export function parseFileId (id: string | CID): CID {
  let cid: CID
  try {
    const asCid = typeof id === 'string' ? null : CID.asCID(id)
    cid = asCid ?? CID.parse(String(id))
  } catch (err: any) {
    throw new FileIndexError(`not a file id: ${String(id).slice(0, 100)} (${err?.message ?? err})`)
  }
  if (cid.version !== 1 || cid.code !== raw.code || cid.multihash.code !== SHA2_256 || cid.multihash.size !== HASH_BYTES) {
    throw new FileIndexError(`not a file id: ${String(cid)} is not a CIDv1 raw sha2-256`)
  }
  return cid
}

/** Check a manifest's fields; throws {@link InvalidManifestError} naming the problem. */
export function validateManifest (manifest: FileManifest): void {
  const { name, size, pieceSize, pieces } = manifest
  if (typeof name !== 'string' || new TextEncoder().encode(name).byteLength > MAX_NAME_BYTES) {
    throw new InvalidManifestError(`name longer than ${MAX_NAME_BYTES} bytes`)
  }
  if (!Number.isSafeInteger(size) || size < 0) throw new InvalidManifestError(`bad size ${size}`)
  if (!Number.isSafeInteger(pieceSize) || pieceSize < 1 || pieceSize > MAX_PIECE_SIZE) {
    throw new InvalidManifestError(`piece size ${pieceSize} outside 1..${MAX_PIECE_SIZE}`)
  }
  if (pieces.length !== pieceCount(size, pieceSize)) {
    throw new InvalidManifestError(`${pieces.length} piece hashes for ${pieceCount(size, pieceSize)} pieces`)
  }
  for (const hash of pieces) {
    if (!(hash instanceof Uint8Array) || hash.byteLength !== HASH_BYTES) throw new InvalidManifestError('a piece hash is not 32 bytes')
  }
}

/**
 * Encode a manifest deterministically: protobuf fields in declaration order, defaults
 * omitted, so equal manifests always give equal bytes and the same file id.
 *
 * @throws {@link InvalidManifestError} when a field is invalid or the encoding exceeds {@link MAX_MANIFEST_BYTES}
 */
export function encodeManifest (manifest: FileManifest): Uint8Array {
  validateManifest(manifest)
  const bytes = Manifest.encode({
    name: manifest.name,
    size: manifest.size,
    pieceSize: manifest.pieceSize,
    pieces: manifest.pieces as Array<Uint8Array<ArrayBuffer>>
  })
  if (bytes.byteLength > MAX_MANIFEST_BYTES) {
    throw new InvalidManifestError(`manifest of ${bytes.byteLength} bytes exceeds ${MAX_MANIFEST_BYTES}; use a larger piece size`)
  }
  return bytes
}

/**
 * Decode manifest bytes, bounded before anything is allocated per piece. When `id` is given,
 * the bytes must hash to it.
 *
 * @throws {@link InvalidManifestError}
 */
export function decodeManifest (bytes: Uint8Array, id?: CID): FileManifest {
  if (bytes.byteLength > MAX_MANIFEST_BYTES) throw new InvalidManifestError(`manifest of ${bytes.byteLength} bytes exceeds ${MAX_MANIFEST_BYTES}`)
  if (id != null && !manifestCid(bytes).equals(id)) throw new InvalidManifestError(`manifest bytes do not hash to ${String(id)}`)
  let decoded: Manifest
  try {
    decoded = Manifest.decode(bytes, { limits: { pieces: Math.ceil(MAX_MANIFEST_BYTES / (HASH_BYTES + 2)) } })
  } catch (err: any) {
    throw new InvalidManifestError(`undecodable manifest: ${err?.message ?? err}`)
  }
  const manifest: FileManifest = { name: decoded.name, size: decoded.size, pieceSize: decoded.pieceSize, pieces: decoded.pieces }
  validateManifest(manifest)
  // a manifest that does not re-encode to the same bytes would have a second id
  if (id == null && !equals(Manifest.encode(decoded), bytes)) throw new InvalidManifestError('manifest is not in canonical encoding')
  return manifest
}

/**
 * Hash `bytes` into a manifest. `pieceSize` defaults to 256 KiB and is doubled (up to 4 MiB)
 * when the manifest would otherwise exceed its size limit.
 */
export function manifestOf (bytes: Uint8Array, name: string, pieceSize?: number): FileManifest {
  const size = choosePieceSize(bytes.byteLength, pieceSize)
  const pieces: Uint8Array[] = []
  for (let offset = 0; offset < bytes.byteLength; offset += size) {
    pieces.push(sha256(bytes.subarray(offset, Math.min(bytes.byteLength, offset + size))))
  }
  return { name, size: bytes.byteLength, pieceSize: size, pieces }
}

/** The piece size for a file: the requested one, or the default doubled until the manifest fits. */
export function choosePieceSize (fileSize: number, requested?: number): number {
  if (requested != null) {
    if (!Number.isSafeInteger(requested) || requested < MIN_PIECE_SIZE || requested > MAX_PIECE_SIZE) {
      throw new FileIndexError(`pieceSize must be an integer in ${MIN_PIECE_SIZE}..${MAX_PIECE_SIZE}`)
    }
    if (pieceCount(fileSize, requested) * (HASH_BYTES + 2) + MAX_NAME_BYTES + 32 > MAX_MANIFEST_BYTES) {
      throw new FileIndexError(`a file of ${fileSize} bytes needs more than ${MAX_MANIFEST_BYTES} bytes of manifest at piece size ${requested}`)
    }
    return requested
  }
  let size = DEFAULT_PIECE_SIZE
  while (pieceCount(fileSize, size) * (HASH_BYTES + 2) + MAX_NAME_BYTES + 32 > MAX_MANIFEST_BYTES) {
    if (size >= MAX_PIECE_SIZE) throw new FileIndexError(`a file of ${fileSize} bytes is too large for one manifest`)
    size *= 2
  }
  return size
}
