/**
 * Content hashing, LaminDB-compatible: md5 → urlsafe base64 without padding (22 chars).
 * Lamina always hashes whole content, also above LaminDB's 50 MiB "sha1-fl" cut-off,
 * because a cache keyed on first+last chunk misses edits in the middle (DESIGN.md).
 *
 * @module
 */
import * as crypto from "node:crypto"
import { createHash, type Hash } from "node:crypto"

/** LaminDB's hash length. */
export const HASH_LENGTH = 22

/** The hash types Lamina writes or reads. */
export type HashType = "md5" | "md5-d" | `md5-${number}` | "sha1-fl"

/** A computed content hash. */
export interface ContentHash {
  readonly hash: string
  readonly hash_type: HashType
  readonly size: number
}

/** Urlsafe base64 without `=` padding. */
export const toB64 = (digest: Uint8Array): string => Buffer.from(digest).toString("base64url")

/** Hex (base16) digest → LaminDB's 22-char base64url form, as for S3 ETags. */
export const b16ToB64 = (hex: string): string => toB64(Buffer.from(hex, "hex")).slice(0, HASH_LENGTH)

// One-shot `crypto.hash` (Node ≥ 20.12) skips the Hash object: about half the cost of a short
// string's md5, which every step call pays for its cache key.
const oneShot: ((algorithm: string, data: string, encoding: "base64url") => string) | undefined =
  typeof (crypto as { readonly hash?: unknown }).hash === "function" ? crypto.hash : undefined

/** Hash of a string (LaminDB's `hash_string`). */
export const hashString = (s: string): string =>
  (oneShot !== undefined ? oneShot("md5", s, "base64url") : toB64(createHash("md5").update(s, "utf8").digest())).slice(0, HASH_LENGTH)

/** Hash of bytes in memory. */
export const hashBytes = (bytes: Uint8Array): ContentHash => ({
  hash: toB64(createHash("md5").update(bytes).digest()).slice(0, HASH_LENGTH),
  hash_type: "md5",
  size: bytes.byteLength
})

/** An incremental md5 hasher that also counts bytes; feed it chunks while copying. */
export class StreamingHash {
  private readonly md5: Hash = createHash("md5")
  private bytes = 0
  update(chunk: Uint8Array): void {
    this.md5.update(chunk)
    this.bytes += chunk.byteLength
  }
  digest(): ContentHash {
    return { hash: toB64(this.md5.digest()).slice(0, HASH_LENGTH), hash_type: "md5", size: this.bytes }
  }
}

/**
 * LaminDB's folder hash ("md5-d"): sort the file hashes, md5 each hash string, md5 the
 * concatenation of those digests. Paths play no part.
 */
export const hashFolder = (fileHashes: ReadonlyArray<string>): string => {
  const outer = createHash("md5")
  for (const h of [...fileHashes].sort()) outer.update(createHash("md5").update(h, "utf8").digest())
  return toB64(outer.digest()).slice(0, HASH_LENGTH)
}
