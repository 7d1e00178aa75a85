/**
 * Random bytes for names (uids, temporary file names), drawn from a pooled buffer.
 *
 * Why: each `crypto.randomBytes` call crosses into OpenSSL, ~10 µs for a few bytes; a small save
 * draws twice (the uid's stem and its temporary file name). One 4 KiB fill serves hundreds of
 * draws. The bytes are the same CSPRNG's; they name things and are never secrets.
 *
 * @module
 */
import { randomFillSync } from "node:crypto"

const POOL_SIZE = 4096
const pool = Buffer.allocUnsafe(POOL_SIZE)
let offset = POOL_SIZE

/** `n` fresh random bytes (a copy: never handed out twice). */
export const randomBytesPooled = (n: number): Buffer => {
  if (n > POOL_SIZE) return randomFillSync(Buffer.allocUnsafe(n))
  if (offset + n > POOL_SIZE) {
    randomFillSync(pool)
    offset = 0
  }
  const out = Buffer.from(pool.subarray(offset, offset + n))
  offset += n
  return out
}
