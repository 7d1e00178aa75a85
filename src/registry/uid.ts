/**
 * LaminDB-compatible uids: base62 (`0-9A-Za-z`), random stems, and base62 version suffixes.
 *
 * @module
 */
import { randomBytesPooled } from "../random.js"

/** The base62 alphabet in LaminDB's order: digits, upper case, lower case. */
export const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

/** uid lengths per registry (LaminDB's). Versioned registries: stem + 4-char version suffix. */
export const UID_LENGTH = {
  artifact: 20,
  collection: 20,
  transform: 16,
  run: 16,
  record: 16,
  schema: 16,
  feature: 12,
  project: 12,
  reference: 12,
  storage: 12,
  ulabel: 8,
  user: 8
} as const

/** Length of the version suffix of versioned registries. */
export const VERSION_SUFFIX_LENGTH = 4

/** A random base62 string of length `n` (rejection sampling: uniform over the alphabet). */
export const base62 = (n: number): string => {
  let out = ""
  while (out.length < n) {
    const bytes = randomBytesPooled(n * 2)
    for (let i = 0; i < bytes.length && out.length < n; i++) {
      const b = bytes[i]! & 0x3f // 0..63; 62 and 63 are rejected
      if (b < 62) out += BASE62[b]
    }
  }
  return out
}

/** Increment a base62 string by one, keeping its width (`"0009"` → `"000A"`, `"000z"` → `"0010"`). */
export const incrementBase62 = (s: string): string => {
  const digits = [...s].map((c) => {
    const d = BASE62.indexOf(c)
    if (d < 0) throw new RangeError(`'${s}' is not a base62 string`)
    return d
  })
  let i = digits.length - 1
  while (i >= 0) {
    if (digits[i]! < 61) {
      digits[i]!++
      break
    }
    digits[i] = 0
    i--
  }
  if (i < 0) throw new RangeError(`base62 overflow incrementing '${s}'`)
  return digits.map((d) => BASE62[d]).join("")
}

/** The uid of the first version of a new family: random stem + `0000`. */
export const newFamilyUid = (length: number): string =>
  base62(length - VERSION_SUFFIX_LENGTH) + "0".repeat(VERSION_SUFFIX_LENGTH)

/** Split a versioned uid into stem and suffix. */
export const splitUid = (uid: string): { readonly stem: string; readonly suffix: string } => ({
  stem: uid.slice(0, -VERSION_SUFFIX_LENGTH),
  suffix: uid.slice(-VERSION_SUFFIX_LENGTH)
})

/** True when `s` is made of base62 characters only. */
export const isBase62 = (s: string): boolean => /^[0-9A-Za-z]+$/.test(s)
