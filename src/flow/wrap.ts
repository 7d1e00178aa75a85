/**
 * What `step()` and `flow()` share once their options are known: with a function, a tracked
 * wrapper carrying the definition's name; without one, the TC39 method decorator.
 *
 * @module
 */
import { InvalidArgument } from "../errors.js"
import type { CommonOptions, Definition } from "./definition.js"

/** Where a tracked wrapper keeps what it was made from (read by `stepHandleOf`). */
const HANDLE = Symbol.for("lamina/tracked")

/** What a `step()` / `flow()` wrapper was made from: a runner executes steps through it. */
export interface TrackedHandle {
  readonly kind: "step" | "flow"
  readonly def: Definition
  readonly options: CommonOptions
  readonly fn: Function
}

/** The handle of a tracked wrapper (a function made by `step()` or `flow()`), else undefined. */
export const trackedHandleOf = (value: unknown): TrackedHandle | undefined =>
  typeof value === "function" ? ((value as unknown as Record<symbol, TrackedHandle | undefined>)[HANDLE] ?? undefined) : undefined

/** Builds a step's or flow's {@link Definition} from its options and function. */
type Define<O> = (options: O, fn: Function, name: string, files: ReadonlyArray<string>, method: boolean) => Definition

/** Runs one tracked call of `fn` on `self`. */
type Call<O> = (def: Definition, options: O, fn: Function, self: unknown, args: ReadonlyArray<unknown>) => unknown

const STRING_OPTIONS = ["key", "description", "cacheVersion"] as const
const BOOLEAN_OPTIONS = ["cache", "nested"] as const

/**
 * The options' types, checked when the step or flow is defined: JavaScript callers can pass
 * anything, and `concurrency: -1` or `cache: "yes"` would otherwise be ignored silently.
 */
const checkOptions = (kind: "step" | "flow", nameOrOptions: unknown): void => {
  const fail = (message: string) => {
    throw new InvalidArgument({ message: `${kind}(nameOrOptions, fn): ${message}` })
  }
  if (nameOrOptions === undefined || typeof nameOrOptions === "string") return
  if (typeof nameOrOptions !== "object" || nameOrOptions === null || Array.isArray(nameOrOptions))
    return fail(`pass a name or an options object, got ${JSON.stringify(nameOrOptions)}.`)
  const o: Readonly<Record<string, unknown>> = { ...nameOrOptions }
  if (o["name"] !== undefined && (typeof o["name"] !== "string" || o["name"] === "")) fail(`name must be a non-empty string, got ${JSON.stringify(o["name"])}.`)
  for (const k of STRING_OPTIONS) if (o[k] !== undefined && typeof o[k] !== "string") fail(`${k} must be a string, got ${JSON.stringify(o[k])}.`)
  for (const k of BOOLEAN_OPTIONS) if (o[k] !== undefined && typeof o[k] !== "boolean") fail(`${k} must be true or false, got ${JSON.stringify(o[k])}.`)
  const concurrency = o["concurrency"]
  if (concurrency !== undefined && !(Number.isInteger(concurrency) && typeof concurrency === "number" && concurrency > 0))
    fail(`concurrency must be a positive integer, got ${JSON.stringify(concurrency)}.`)
  const ignore = o["ignore"]
  if (ignore !== undefined && !(Array.isArray(ignore) && ignore.every((x) => typeof x === "string")))
    fail(`ignore must be a list of parameter names, got ${JSON.stringify(ignore)}.`)
  // Both narrow or widen the cache key: a misspelt value must not leave a step keyed on less than its author meant.
  const fingerprint = o["fingerprint"]
  if (fingerprint !== undefined && fingerprint !== "module" && fingerprint !== "function")
    fail(`fingerprint must be "module" or "function", got ${JSON.stringify(fingerprint)}.`)
  const env = o["env"]
  if (env !== undefined && !(Array.isArray(env) && env.every(isEnvItem)))
    fail(`env must be a list of ${ENV_ITEMS.map((i) => `"${i}"`).join(", ")}, "package:NAME" or "var:NAME", got ${JSON.stringify(env)}.`)
}

const ENV_ITEMS = ["node", "platform", "arch", "lockfile", "git"]

/** An `env` entry `environment.ts`' `fingerprint` knows (anything else would be keyed as nothing). */
const isEnvItem = (x: unknown): boolean => typeof x === "string" && (ENV_ITEMS.includes(x) || /^(package|var):.+/.test(x))

/**
 * The implementation behind `step(nameOrOptions, fn?)` and `flow(nameOrOptions, fn?)`; `files`
 * are the caller's module (for the transform key) and the modules that called it (`callerFiles`),
 * found by the public function.
 */
export const wrapOrDecorate = <O extends CommonOptions>(
  kind: "step" | "flow",
  nameOrOptions: string | O | undefined,
  fn: unknown,
  files: ReadonlyArray<string>,
  define: Define<O>,
  call: Call<O>
): unknown => {
  checkOptions(kind, nameOrOptions)
  const options = (typeof nameOrOptions === "string" ? { name: nameOrOptions } : (nameOrOptions ?? {})) as O
  if (fn === undefined) {
    return (target: Function, context: ClassMethodDecoratorContext) => {
      const def = define(options, target, options.name ?? String(context.name), files, true)
      return function (this: unknown, ...args: Array<unknown>) {
        def.noteReceiver(this)
        return call(def, options, target, this, args)
      }
    }
  }
  if (typeof fn !== "function") {
    throw new InvalidArgument({ message: `${kind}(name, fn): fn must be a function returning an Effect, a Promise or a value.` })
  }
  const def = define(options, fn, options.name ?? (fn.name || kind), files, false)
  const wrapped = function (this: unknown, ...args: Array<unknown>) {
    return call(def, options, fn, this, args)
  }
  Object.defineProperty(wrapped, "name", { value: def.name })
  Object.defineProperty(wrapped, HANDLE, { value: { kind, def, options, fn } satisfies TrackedHandle })
  return wrapped
}
