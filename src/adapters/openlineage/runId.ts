/**
 * OpenLineage wants a UUID per run; Lamina's run uids are 16 base62 characters. The UUID is
 * derived from the uid (name-based, RFC 4122 version 5 layout over SHA-1), so the same run always
 * exports under the same runId and a child's parent facet can name its parent without a lookup.
 *
 * @module
 */
import { createHash } from "node:crypto"

const NAMESPACE = "lamina:run:"

/** The OpenLineage runId of a Lamina run uid. */
export const runIdOf = (uid: string): string => {
  const b = createHash("sha1").update(NAMESPACE + uid).digest().subarray(0, 16)
  b[6] = (b[6]! & 0x0f) | 0x50
  b[8] = (b[8]! & 0x3f) | 0x80
  const h = b.toString("hex")
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}
