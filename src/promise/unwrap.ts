/**
 * Values crossing from Promise code back to the Effect API: a bridge proxy or PromiseQuerySet
 * becomes the Effect-world object it stands for, deeply through arrays and plain objects, so
 * the Effect side (params capture, input detection, filters) only ever sees its own objects.
 *
 * @module
 */
import { Effect } from "effect"

/** The Effect-world object behind a bridge proxy or a PromiseQuerySet. */
export const EffectValue: unique symbol = Symbol.for("lamina/promise/EffectValue")

/** Whether `o` is a plain object (an object literal or `Object.create(null)`). */
export const isPlain = (o: object): boolean => {
  const proto = Object.getPrototypeOf(o)
  return proto === Object.prototype || proto === null
}

/** `xs.map(f)`, or `xs` itself when `f` changed nothing. */
export const mapArray = (xs: ReadonlyArray<unknown>, f: (x: unknown) => unknown): ReadonlyArray<unknown> => {
  let out: Array<unknown> | undefined
  for (let i = 0; i < xs.length; i++) {
    const y = f(xs[i])
    if (out === undefined && y !== xs[i]) out = xs.slice(0, i)
    if (out !== undefined) out.push(y)
  }
  return out ?? xs
}

/** `o` with `f` applied to its values, or `o` itself when `f` changed nothing. */
export const mapObject = (o: object, f: (x: unknown) => unknown): object => {
  let out: Record<string, unknown> | undefined
  for (const k of Object.keys(o)) {
    const x = (o as Record<string, unknown>)[k]
    const y = f(x)
    if (y !== x) (out ??= { ...(o as Record<string, unknown>) })[k] = y
  }
  return out ?? o
}

/** The Effect-world original of a Promise-API value. */
export const effectWorld = (value: unknown): unknown => unwrapWithin(value, new Set())

/** `effectWorld` below the containers in `ancestors`. */
const unwrapWithin = (value: unknown, ancestors: Set<object>): unknown => {
  if (typeof value !== "object" || value === null) return value
  const inner = (value as { readonly [EffectValue]?: unknown })[EffectValue]
  if (inner !== undefined) return inner
  // A value that contains itself is passed on as it is: the Effect side reports the cycle
  // (params: "a cycle") where this walk would overflow the stack.
  if (ancestors.has(value)) return value
  const walk = Array.isArray(value) || (isPlain(value) && !Effect.isEffect(value))
  if (!walk) return value
  ancestors.add(value)
  try {
    const f = (x: unknown) => unwrapWithin(x, ancestors)
    return Array.isArray(value) ? mapArray(value, f) : mapObject(value, f)
  } finally {
    ancestors.delete(value)
  }
}

/** Arguments of an Effect API call, unwrapped. */
export const effectArgs = (args: ReadonlyArray<unknown>): Array<unknown> => args.map(effectWorld)
