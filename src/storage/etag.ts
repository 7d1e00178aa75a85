/**
 * S3 ETags as content hashes, the way LaminDB reads them: a plain ETag is the object's hex md5
 * (→ base64url, type `md5`); a multipart ETag `X-N` is the md5 of the N part digests
 * (→ base64url of X, type `md5-N`). Objects encrypted with SSE-KMS/SSE-C carry other ETags;
 * like LaminDB, Lamina cannot tell those apart by their form.
 *
 * @module
 */
import { b16ToB64, HASH_LENGTH, type ContentHash } from "./hash.js"

const PLAIN = /^[0-9a-f]{32}$/
const MULTIPART = /^([0-9a-f]{32})-([1-9][0-9]*)$/

/** The ETag without its surrounding quotes (and a weak `W/` marker), lower-cased. */
export const bareEtag = (etag: string): string => etag.replace(/^W\//, "").replace(/"/g, "").trim().toLowerCase()

/** The content hash an ETag stands for, or undefined when it is not md5-shaped. */
export const hashFromEtag = (etag: string | undefined, size: number): ContentHash | undefined => {
  if (etag === undefined) return undefined
  const bare = bareEtag(etag)
  if (PLAIN.test(bare)) return { hash: b16ToB64(bare), hash_type: "md5", size }
  const m = MULTIPART.exec(bare)
  if (m) return { hash: b16ToB64(m[1]!), hash_type: `md5-${Number(m[2])}`, size }
  return undefined
}

/** The hex digest of a 22-char base64url hash (the inverse of `b16ToB64` for md5 digests). */
export const b64ToB16 = (hash: string): string | undefined => {
  if (hash.length !== HASH_LENGTH) return undefined
  const hex = Buffer.from(hash, "base64url").toString("hex")
  return hex.length === 32 ? hex : undefined
}

/**
 * Whether an object's current ETag still stands for `expected`: `true`/`false` when the ETag
 * can tell, `undefined` when it cannot (a whole-content md5 against a multipart ETag).
 */
export const etagMatches = (etag: string | undefined, expected: ContentHash): boolean | undefined => {
  const got = hashFromEtag(etag, expected.size)
  if (got === undefined) return undefined
  if (got.hash_type === expected.hash_type) return got.hash === expected.hash
  return undefined
}
