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
export const effectWorld = (value: unknown): unknown => {
  if (typeof value !== "object" || value === null) return value
  const inner = (value as { readonly [EffectValue]?: unknown })[EffectValue]
  if (inner !== undefined) return inner
  if (Array.isArray(value)) return mapArray(value, effectWorld)
  if (isPlain(value) && !Effect.isEffect(value)) return mapObject(value, effectWorld)
  return value
}

/** Arguments of an Effect API call, unwrapped. */
export const effectArgs = (args: ReadonlyArray<unknown>): Array<unknown> => args.map(effectWorld)
