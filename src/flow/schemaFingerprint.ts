/**
 * The fingerprint of a step's `result` schema, for its cache key: a hit is decoded with the
 * schema of the step as it is now, so a schema change must be a miss, not a decoding failure.
 *
 * The schema's AST is described structurally (node kinds, fields, annotations, and the source
 * text of the functions it holds, such as class constructors, which the AST's own JSON form
 * leaves out). A refinement's predicate is wrapped in a closure the AST does not expose: its
 * code counts through the module fingerprint of the file that defines it. Computed once per
 * schema.
 *
 * @module
 */
import type { Schema } from "effect"
import { hashString } from "../storage/hash.js"

// Bounds the walk: annotations can hold arbitrary values.
const MAX_NODES = 20_000

const describe = (root: unknown): string => {
  const seen = new Map<object, number>()
  let nodes = 0
  const go = (v: unknown): unknown => {
    if (v === null || typeof v === "boolean" || typeof v === "number" || typeof v === "string") return v
    if (typeof v === "undefined") return "<undefined>"
    if (typeof v === "bigint") return `${v}n`
    if (typeof v === "symbol") return String(v)
    if (typeof v === "function") return `<fn ${v.toString()}>`
    const obj = v as object
    const id = seen.get(obj)
    if (id !== undefined) return `<ref ${id}>`
    seen.set(obj, seen.size)
    if (++nodes > MAX_NODES) return "<truncated>"
    if (Array.isArray(obj)) return obj.map(go)
    if (obj instanceof RegExp || obj instanceof Date) return String(obj)
    const out: Record<string, unknown> = {}
    for (const key of Reflect.ownKeys(obj)) {
      const name = typeof key === "symbol" ? String(key) : key
      out[name] = go((obj as Record<PropertyKey, unknown>)[key])
    }
    return out
  }
  return JSON.stringify(go(root))
}

const memo = new WeakMap<object, string>()

/** A hash describing `schema`: its structure and the code of the functions it carries. */
export const schemaFingerprint = (schema: Schema.Schema.AnyNoContext): string => {
  const known = memo.get(schema.ast)
  if (known !== undefined) return known
  const hash = hashString(describe(schema.ast))
  memo.set(schema.ast, hash)
  return hash
}
