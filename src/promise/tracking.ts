/**
 * `lm.flow()` and `lm.step()`: the lineage engine's own `flow`/`step` (src/flow) around async
 * functions. The async body becomes an Effect step body that captures the runtime of the step's
 * fiber and runs the function inside `CurrentContext` (see `context.ts`), so everything the
 * body does through the Promise API — calling steps, loading and saving artifacts — happens in
 * the step's run. Params capture, inputs and outputs, caching, concurrency limits, single
 * flight and failure handling are the engine's, unchanged.
 *
 * @module
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { Context, Effect } from "effect"
import { InvalidArgument } from "../errors.js"
import { CAPTURES_OF } from "../flow/captures.js"
import { flow as effectFlow, step as effectStep, type FlowOptions, type StepOptions } from "../flow/index.js"
import type { Lamina } from "../instance/Lamina.js"
import type { Artifact } from "../registry/Artifact.js"
import type { Bridge } from "./bridge.js"
import { CurrentContext } from "./context.js"
import { RunContext } from "./runContext.js"
import type { Promised } from "./types.js"
import { effectArgs, effectWorld } from "./unwrap.js"

/** The Effect-API type of a Promise-API value (artifacts, and arrays of them). */
export type EffectSide<T> = T extends Promised<Artifact> ? Artifact : T extends ReadonlyArray<infer X> ? ReadonlyArray<EffectSide<X>> : T

/** Arguments as the Effect form of a Promise step takes them: either API's values. */
export type EffectArgs<Args extends ReadonlyArray<unknown>> = { readonly [I in keyof Args]: Args[I] | EffectSide<Args[I]> }

/** A tracked async function: each call is a Run; awaiting it gives the body's result (or the cached one). */
export interface PromiseStep<Args extends ReadonlyArray<unknown>, R> {
  (...args: Args): Promise<R>
  /** The same step as an Effect, to call from an Effect flow (one run tree with it). */
  readonly effect: (...args: EffectArgs<Args>) => Effect.Effect<EffectSide<R>, unknown, Lamina>
}

/** A tracked async pipeline: each call is a top-level Run; its steps are the runs it initiates. */
export interface PromiseFlow<Args extends ReadonlyArray<unknown>, R> extends PromiseStep<Args, R> {
  /**
   * The flow, cancelled when `signal` aborts: the runs it left open end `aborted`, and the
   * Promise rejects with `signal.reason`.
   */
  readonly withSignal: (signal: AbortSignal) => (...args: Args) => Promise<R>
}

/** `@lm.step()` / `@lm.flow()` on an async method (TC39 standard decorators). */
export type PromiseMethodDecorator = <This, Args extends Array<unknown>, R>(
  target: (this: This, ...args: Args) => Promise<R>,
  context: ClassMethodDecoratorContext<This, (this: This, ...args: Args) => Promise<R>>
) => (this: This, ...args: Args) => Promise<R>

type Body = (this: unknown, ...args: Array<unknown>) => unknown
type EffectCall = (this: unknown, ...args: Array<unknown>) => Effect.Effect<unknown, unknown, Lamina>

/**
 * The Effect step body for an async function: it runs `fn` with the step fiber's runtime as the
 * current context (and an AbortSignal that fires when the run is interrupted), with Promise-API
 * arguments, and hands the engine Effect-API values back. A rejection is the step's failure
 * as it is — the engine records it and the caller's Promise rejects with the same error.
 * `toString` is the function's own, so the engine captures its source and parameter names, and
 * `CAPTURES_OF` points at it, so the variables it captures enter the cache key.
 */
const adapt = (fn: Function, bridge: Bridge): Body => {
  const body = function (this: unknown, ...args: Array<unknown>) {
    const self = this
    return Effect.flatMap(Effect.runtime<Lamina>(), (runtime) => {
      const context = new RunContext(runtime, Context.get(runtime.context, SqlClient.SqlClient))
      const settle = (value: unknown) => {
        try {
          context.settle(Effect.succeed(effectWorld(value)))
        } catch (error) {
          context.settle(Effect.fail(error))
        }
      }
      const fail = (error: unknown) => context.settle(Effect.fail(error))
      return context.serve(() => {
        try {
          const out = CurrentContext.run(context, () => fn.apply(self, args.map((a) => bridge.promised(a))))
          // A plain value settles now; a Promise (or any thenable) when it does.
          if (typeof (out as PromiseLike<unknown> | null)?.then === "function") Promise.resolve(out).then(settle, fail)
          else settle(out)
        } catch (error) {
          fail(error)
        }
      })
    })
  }
  Object.defineProperty(body, "toString", { value: () => fn.toString() })
  // What `fn` captures is what the step's cache key must see, not this wrapper's own variables.
  Object.defineProperty(body, CAPTURES_OF, { value: fn })
  return body
}

/** Run one call of a tracked Effect function from Promise code. */
const callFrom = (bridge: Bridge, call: EffectCall, self: unknown, args: ReadonlyArray<unknown>, signal?: AbortSignal): Promise<unknown> =>
  bridge.runner.run(call.apply(self, effectArgs(args)), signal, (value) => bridge.promised(value))

const optionsOf = <O extends { readonly name?: string }>(kind: string, nameOrOptions: string | O | undefined): O => {
  if (nameOrOptions === undefined) return {} as O
  if (typeof nameOrOptions === "string") {
    if (nameOrOptions.trim() === "") throw new InvalidArgument({ message: `lm.${kind}(name, fn): the name must not be empty.` })
    return { name: nameOrOptions } as O
  }
  if (typeof nameOrOptions !== "object" || nameOrOptions === null || Array.isArray(nameOrOptions))
    throw new InvalidArgument({ message: `lm.${kind}(nameOrOptions, fn): pass a name or an options object, got ${String(nameOrOptions)}.` })
  return nameOrOptions
}

const checkFn = (kind: string, fn: unknown): Function => {
  if (typeof fn !== "function") throw new InvalidArgument({ message: `lm.${kind}(name, fn): fn must be an async function (or one returning a value), got ${typeof fn}.` })
  return fn
}

/** `lm.step(nameOrOptions, fn)`, or the `@lm.step()` decorator without `fn`. */
export const makeStep = (bridge: Bridge, nameOrOptions: string | StepOptions | undefined, fn?: unknown): unknown => {
  const options = optionsOf<StepOptions>("step", nameOrOptions)
  if (fn === undefined) {
    // Made now, while the user's module is on the stack: the transform key names it.
    const decorate = effectStep(options) as unknown as (target: Body, context: ClassMethodDecoratorContext) => EffectCall
    return (target: Function, context: ClassMethodDecoratorContext) => {
      const method = decorate(adapt(checkFn("step", target), bridge), context)
      return function (this: unknown, ...args: Array<unknown>) {
        return callFrom(bridge, method, this, args)
      }
    }
  }
  const f = checkFn("step", fn)
  const call = effectStep({ ...options, name: options.name ?? (f.name || "step") }, adapt(f, bridge)) as unknown as EffectCall
  const wrapped = function (this: unknown, ...args: Array<unknown>) {
    return callFrom(bridge, call, this, args)
  }
  Object.defineProperty(wrapped, "name", { value: options.name ?? (f.name || "step") })
  Object.defineProperty(wrapped, "effect", { value: (...args: Array<unknown>) => call(...effectArgs(args)) })
  return wrapped
}

/** `lm.flow(nameOrOptions, fn)`, or the `@lm.flow()` decorator without `fn`. */
export const makeFlow = (bridge: Bridge, nameOrOptions: string | FlowOptions | undefined, fn?: unknown): unknown => {
  const options = optionsOf<FlowOptions>("flow", nameOrOptions)
  if (fn === undefined) {
    const decorate = effectFlow(options) as unknown as (target: Body, context: ClassMethodDecoratorContext) => EffectCall
    return (target: Function, context: ClassMethodDecoratorContext) => {
      const method = decorate(adapt(checkFn("flow", target), bridge), context)
      return function (this: unknown, ...args: Array<unknown>) {
        return callFrom(bridge, method, this, args)
      }
    }
  }
  const f = checkFn("flow", fn)
  const call = effectFlow({ ...options, name: options.name ?? (f.name || "flow") }, adapt(f, bridge)) as unknown as EffectCall
  const wrapped = function (this: unknown, ...args: Array<unknown>) {
    return callFrom(bridge, call, this, args)
  }
  Object.defineProperty(wrapped, "name", { value: options.name ?? (f.name || "flow") })
  Object.defineProperty(wrapped, "effect", { value: (...args: Array<unknown>) => call(...effectArgs(args)) })
  Object.defineProperty(wrapped, "withSignal", {
    value: (signal: AbortSignal) => {
      if (!(signal instanceof AbortSignal)) throw new InvalidArgument({ message: "withSignal(signal): pass an AbortSignal (e.g. AbortSignal.timeout(ms) or new AbortController().signal)." })
      return (...args: Array<unknown>) => callFrom(bridge, call, undefined, args, signal)
    }
  })
  return wrapped
}
