/**
 * Keywords of file names and queries, and the DHT key of a keyword. Pure functions: every
 * backend matches with them, so a word found by one design is found by all.
 */
import { sha256 } from 'multiformats/hashes/sha2'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'

/** Shortest keyword, in characters. Shorter words ("a", "v", "2") would match everything. */
export const MIN_KEYWORD_LENGTH = 2
/** Longest keyword, in characters; longer runs are cut. */
export const MAX_KEYWORD_LENGTH = 64
/** Most keywords taken from one file name (and one query). */
export const MAX_KEYWORDS = 16
/** The domain-separation prefix of keyword CIDs, so they never collide with file ids. */
export const KEYWORD_DOMAIN = 'hearsay-keyword:'

const SPLIT = /[^\p{L}\p{N}]+/u

/**
 * The keywords of `text`: lower-cased runs of letters and digits (any script), at least
 * {@link MIN_KEYWORD_LENGTH} characters, cut to {@link MAX_KEYWORD_LENGTH}, without repeats,
 * in order of first appearance, at most `max` of them.
 *
 * @example keywords('Ubuntu Server 24.04 ISO') // ['ubuntu', 'server', '24', '04', 'iso']
 */
export function keywords (text: string, max = MAX_KEYWORDS): string[] {
  if (typeof text !== 'string') return []
  const out: string[] = []
  const seen = new Set<string>()
  for (const part of text.normalize('NFKC').toLowerCase().split(SPLIT)) {
    if (out.length >= max) break
    const word = [...part].slice(0, MAX_KEYWORD_LENGTH).join('')
    if ([...word].length < MIN_KEYWORD_LENGTH || seen.has(word)) continue
    seen.add(word)
    out.push(word)
  }
  return out
}

/** Does a file named `name` match every one of `words` (already keywords)? */
export function matches (name: string, words: readonly string[]): boolean {
  if (words.length === 0) return false
  const own = new Set(keywords(name))
  return words.every(word => own.has(word))
}

/** The CID a keyword is provided under on the DHT: CIDv1, raw codec, sha256 of `hearsay-keyword:<word>`. */
export async function keywordCid (word: string): Promise<CID> {
  const digest = await sha256.digest(new TextEncoder().encode(KEYWORD_DOMAIN + word))
  return CID.createV1(raw.code, digest)
}

/**
 * Of a query's keywords, the one to look up on the DHT: the longest, as long words tend to be
 * the rarest (fewest providers to ask); ties go to the first.
 */
export function rarestWord (words: readonly string[]): string | undefined {
  let best: string | undefined
  for (const word of words) {
    if (best == null || [...word].length > [...best].length) best = word
  }
  return best
}
