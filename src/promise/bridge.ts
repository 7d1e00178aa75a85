/**
 * The runtime side of `Promised<T>` (see `types.ts`): values crossing from the Effect API to
 * Promise code are converted — an Effect is run (in the caller's run context) into a Promise, a
 * Stream becomes an async iterable, a QuerySet a `PromiseQuerySet`, and a registry record or a
 * plain object with methods (a pending artifact, a backed AnnData) is wrapped in a proxy whose
 * members are converted when read. Values crossing back (arguments of Effect API calls, what a
 * Promise step returns to the engine) are unwrapped to the originals, so the Effect side only
 * ever sees its own objects.
 *
 * Which objects are wrapped is decided by shape, not by registry name, so registries added to
 * the Effect API need nothing here: a record is an object with a string `uid` and a numeric
 * `id` that has methods; plain objects are wrapped when they (or an object they hold) have
 * function or Effect members. Everything else — Arrow tables, AnnData, typed arrays, records
 * without methods such as runs — passes through untouched.
 *
 * @module
 */
import { Effect, Either, Exit, Option, Scope, Stream } from "effect"
import type { Lamina } from "../instance/Lamina.js"
import { QuerySet } from "../query/QuerySet.js"
import { makePromiseQuerySet } from "./querySet.js"
import type { Runner } from "./runner.js"
import { effectArgs, effectWorld, EffectValue, isPlain, mapArray, mapObject } from "./unwrap.js"

/**
 * Methods of the Effect API whose Effect needs a `Scope` (the resource stays open until the
 * scope closes): their Promise form opens a scope, and the result gets `close()` and
 * `Symbol.asyncDispose`.
 */
const SCOPED_METHODS: ReadonlySet<PropertyKey> = new Set(["open", "openAnnData"])

const isData = (o: object): boolean =>
  o instanceof Date || ArrayBuffer.isView(o) || o instanceof ArrayBuffer || o instanceof Map || o instanceof Set || o instanceof Error || o instanceof RegExp || o instanceof Promise

const isStream = (v: object): boolean => Stream.StreamTypeId in v

const isEffectLike = (v: object): boolean => Effect.isEffect(v) || isStream(v) || v instanceof QuerySet

/** A member that makes its holder need a proxy. */
const isActive = (v: unknown): boolean => typeof v === "function" || (typeof v === "object" && v !== null && isEffectLike(v))

/** Whether a plain object has function or Effect members, directly or one level down. */
const plainNeedsProxy = (o: object, depth: number): boolean => {
  for (const k in o) {
    const v = (o as Record<string, unknown>)[k]
    if (isActive(v)) return true
    if (depth > 0 && typeof v === "object" && v !== null && !Array.isArray(v) && isPlain(v) && plainNeedsProxy(v, depth - 1)) return true
  }
  return false
}

/** A registry record with methods (an `Artifact`; a run record is plain data). */
const isRecordWithMethods = (o: object): boolean => {
  const r = o as { readonly uid?: unknown; readonly id?: unknown }
  return typeof r.uid === "string" && typeof r.id === "number" && (!isPlain(o) || plainNeedsProxy(o, 0))
}

/** Converts Effect-world values for one connection. */
export class Bridge {
  private readonly proxies = new WeakMap<object, object>()
  private readonly scopes = new Set<Scope.CloseableScope>()
  private readonly handler: ProxyHandler<object>

  constructor(readonly runner: Runner) {
    const bridge = this
    this.handler = {
      get(target, key) {
        if (key === EffectValue) return target
        const v: unknown = Reflect.get(target, key, target)
        if (typeof key === "symbol") return v
        if (typeof v === "function") return bridge.method(target, key, v as (...args: Array<unknown>) => unknown)
        return bridge.promised(v)
      }
    }
  }

  /** The Effect-world original of a Promise-API value. */
  unwrap(value: unknown): unknown {
    return effectWorld(value)
  }

  /** The Promise-API form of an Effect-world value. */
  promised(value: unknown): unknown {
    if (typeof value !== "object" || value === null) return typeof value === "function" ? this.fn(value as (...args: Array<unknown>) => unknown) : value
    if ((value as { readonly [EffectValue]?: unknown })[EffectValue] !== undefined) return value
    if (value instanceof QuerySet) return makePromiseQuerySet(value, this)
    if (isStream(value)) return this.iterable(value as Stream.Stream<unknown, unknown, never>)
    // Errors, Options and Eithers are Effects too, but here they are values.
    if (isData(value) || Option.isOption(value) || Either.isEither(value)) return value
    if (Effect.isEffect(value)) return this.runner.run(value as Effect.Effect<unknown, unknown, never>).then((a) => this.promised(a))
    if (Array.isArray(value)) return mapArray(value, (x) => this.promised(x))
    // A plain object with methods is converted lazily, member by member; a plain data object
    // (`{ table: artifact, kept: 12 }`) is copied only if a value in it converts.
    if (isPlain(value)) return plainNeedsProxy(value, 1) ? this.proxy(value) : mapObject(value, (x) => this.promised(x))
    return isRecordWithMethods(value) ? this.proxy(value) : value
  }

  /** A stream as an async iterable; breaking out of `for await` stops it. */
  iterable(stream: Stream.Stream<unknown, unknown, never>): AsyncIterable<unknown> {
    const bridge = this
    return {
      [Symbol.asyncIterator]() {
        const ctx = bridge.runner.current()
        const it = Stream.toAsyncIterableRuntime(stream, ctx.runtime)[Symbol.asyncIterator]()
        return {
          next: async () => {
            const r = await it.next()
            return r.done ? r : { done: false, value: bridge.promised(r.value) }
          },
          return: async () => (it.return ? it.return() : { done: true, value: undefined })
        }
      }
    }
  }

  /** `target` (a record, a registry) with its members converted when read. */
  proxy(target: object): object {
    let p = this.proxies.get(target)
    if (p === undefined) this.proxies.set(target, (p = new Proxy(target, this.handler)))
    return p
  }

  /** A free function of the Effect API (a registry's `filter`, `get`, `fromPath`…). */
  fn(f: (...args: Array<unknown>) => unknown, self?: unknown): (...args: Array<unknown>) => unknown {
    return (...args) => this.promised(f.apply(self, effectArgs(args)))
  }

  private method(target: object, key: string, f: (...args: Array<unknown>) => unknown): (...args: Array<unknown>) => unknown {
    if (!SCOPED_METHODS.has(key)) return this.fn(f, target)
    return (...args) => {
      const out = f.apply(target, effectArgs(args))
      return Effect.isEffect(out) ? this.scoped(out as Effect.Effect<unknown, unknown, Scope.Scope>) : this.promised(out)
    }
  }

  /** Run a scoped Effect, keeping its scope open until the result is closed (or the connection is). */
  private async scoped(effect: Effect.Effect<unknown, unknown, Scope.Scope>): Promise<unknown> {
    const scope = Effect.runSync(Scope.make())
    this.scopes.add(scope)
    let closed: Promise<void> | undefined
    const close = () => {
      closed ??= Effect.runPromise(Scope.close(scope, Exit.void)).finally(() => this.scopes.delete(scope))
      return closed
    }
    let value: unknown
    try {
      value = await this.runner.run(Scope.extend(effect, scope) as Effect.Effect<unknown, unknown, Lamina>)
    } catch (e) {
      await close()
      throw e
    }
    const converted = this.promised(value)
    const target = typeof converted === "object" && converted !== null ? converted : { value: converted }
    return new Proxy(target, {
      get: (t, key) => (key === "close" ? close : key === Symbol.asyncDispose ? close : Reflect.get(t, key))
    })
  }

  /** Close every resource still open (the connection is closing). */
  async closeAll(): Promise<void> {
    for (const scope of [...this.scopes]) await Effect.runPromise(Scope.close(scope, Exit.void))
    this.scopes.clear()
  }
}
