/**
 * Whether a captured object changed since its key was last computed, told cheaply: a print of its
 * plain data (building the canonical key form, `paramJson` then `canonicalJson`, costs about five
 * times as much, and a captured object is checked at every call of its step), or that it cannot
 * change at all (deeply frozen).
 *
 * @module
 */
import { isPlainObject } from "../tracker/canonical.js"

/** Deeper than this, a value is not checked by print (the canonical form is built instead). */
const MAX_DEPTH = 64

/** A number per function met, printed in its place: see `dataPrint`. */
const functionIds = new WeakMap<Function, number>()
let nextFunctionId = 0
const functionId = (f: Function): number => {
  let id = functionIds.get(f)
  if (id === undefined) functionIds.set(f, (id = nextFunctionId++))
  return id
}

/**
 * A string that differs whenever `value`'s plain data does: primitives (`-0`, `NaN`, `undefined`
 * and holes told apart), arrays, plain objects, Maps and Sets (own enumerable keys and entries in
 * their order: a new order prints differently, which only costs building the key form again),
 * dates, patterns, and functions by identity: a function enters a key form by its source (or,
 * a schema, by its structure), which one function object never changes, so the same object
 * prints the same and another one prints differently (a class's static methods, `{ scale: (x)
 * => x * W }`). Undefined when `value` holds anything else (a class's instance, a typed array, a
 * cycle), whose key form is built at every check; a getter that throws propagates.
 */
export const dataPrint = (value: unknown): string | undefined => {
  let out = ""
  const go = (v: unknown, depth: number): boolean => {
    switch (typeof v) {
      case "string":
        // Length-prefixed: no content can read as a delimiter.
        out += `"${v.length}:${v}`
        return true
      case "number":
        out += Object.is(v, -0) ? "|-0" : `|${v}`
        return true
      case "boolean":
        out += v ? "|t" : "|f"
        return true
      case "undefined":
        out += "|u"
        return true
      case "bigint":
        out += `|${v}n`
        return true
      case "function":
        out += `|F${functionId(v)}`
        return true
      case "object": {
        if (v === null) {
          out += "|n"
          return true
        }
        if (depth > MAX_DEPTH) return false
        if (Array.isArray(v)) {
          if (Object.getPrototypeOf(v) !== Array.prototype) return false
          out += `[${v.length}`
          for (let i = 0; i < v.length; i++) {
            if (!(i in v)) out += "h"
            else if (!go(v[i], depth + 1)) return false
          }
          out += "]"
          return true
        }
        if (v instanceof Map) {
          out += `M${v.size}`
          for (const [k, x] of v) if (!go(k, depth + 1) || !go(x, depth + 1)) return false
          out += "]"
          return true
        }
        if (v instanceof Set) {
          out += `S${v.size}`
          for (const x of v) if (!go(x, depth + 1)) return false
          out += "]"
          return true
        }
        if (v instanceof Date) {
          out += `D${v.getTime()}`
          return true
        }
        if (v instanceof RegExp) {
          out += `R${String(v).length}:${String(v)}`
          return true
        }
        if (!isPlainObject(v)) return false
        out += "{"
        for (const k of Object.keys(v)) {
          out += `${k.length}:${k}`
          if (!go((v as Record<string, unknown>)[k], depth + 1)) return false
        }
        out += "}"
        return true
      }
      default:
        return false
    }
  }
  return go(value, 0) ? out : undefined
}

/**
 * Plain data that can never change: primitives, and frozen plain objects and arrays of such,
 * without getters. (A frozen Map, Date or class instance can: their slots and `#fields` are not
 * frozen.) Freezing cannot be undone, so a value found deeply frozen once stays so.
 */
export const deeplyFrozen = (value: unknown, seen: Set<object> = new Set()): boolean => {
  if (typeof value !== "object" || value === null) return typeof value !== "function"
  if (seen.has(value)) return true
  seen.add(value)
  const proto = Object.getPrototypeOf(value)
  if (!Object.isFrozen(value) || (proto !== Object.prototype && proto !== Array.prototype && proto !== null)) return false
  return Object.values(Object.getOwnPropertyDescriptors(value)).every((d) => d.get === undefined && d.set === undefined && deeplyFrozen(d.value, seen))
}
