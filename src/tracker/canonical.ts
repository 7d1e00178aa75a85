/**
 * Canonical encodings of step arguments and return values.
 *
 * - `paramJson`: the JSON recorded in `run.params` (LaminDB's rules: records as
 *   `Artifact[<uid>]`, dates as ISO strings, secrets redacted) and, in `"key"` mode, the JSON
 *   hashed into a cache key (artifacts by content hash, nothing redacted).
 * - `encodeResult` / `decodeResult`: a reversible encoding of a step's return value, so a cache
 *   hit can return the very same value — artifacts by uid, dates, maps, sets, bytes, Options.
 *
 * Values that cannot be encoded canonically (functions, symbols, class instances without a
 * codec, cycles) raise `Unencodable` with the path of the offending value; callers turn it into
 * an `InvalidArgument` naming the parameter.
 *
 * @module
 */
import { Either, Option } from "effect"
import { Artifact } from "../registry/Artifact.js"
import { hashBytes } from "../storage/hash.js"
import { recordModelOf, recordParam } from "../registry/recordRef.js"
import { pathOf, type KeyPath } from "./fileParams.js"

/** A JSON value. */
export type Json = null | boolean | number | string | ReadonlyArray<Json> | { readonly [key: string]: Json }

/** A value that cannot be encoded canonically, with where it sits (`data.items[2]`). */
export class Unencodable extends Error {
  constructor(
    readonly path: string,
    readonly what: string
  ) {
    super(`${path} is ${what}`)
  }
}

/**
 * A codec for a class of values the built-in encoding does not know: `is` recognises a value,
 * `encode` turns it into an encodable value (recursively encoded), `decode` rebuilds it.
 */
export interface Codec<A> {
  /** A stable name, persisted with encoded values. */
  readonly tag: string
  readonly is: (value: unknown) => value is A
  readonly encode: (value: A) => unknown
  readonly decode: (encoded: unknown) => A
}

const codecs = new Map<string, Codec<unknown>>()

/** Teach the canonical encoding a new class of values (used for params, cache keys and results). */
export const registerCodec = <A>(codec: Codec<A>): void => {
  codecs.set(codec.tag, codec as Codec<unknown>)
}

const codecFor = (value: object): Codec<unknown> | undefined => {
  for (const c of codecs.values()) if (c.is(value)) return c
  return undefined
}

const describe = (value: unknown): string => {
  if (typeof value === "function") return `a function${value.name ? ` (${value.name})` : ""}`
  if (typeof value === "symbol") return "a symbol"
  if (typeof value === "object" && value !== null) {
    const name = Object.getPrototypeOf(value)?.constructor?.name
    return `an instance of ${name ?? "an unknown class"} without a codec`
  }
  return String(value)
}

/** An object literal's kind of object (or one without a prototype), not a class's instance. */
export const isPlainObject = (value: object): boolean => {
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

/** The symbols keying `o`'s own enumerable properties (`{ [Symbol.for("unit")]: "mm" }`), which `Object.keys` leaves out. */
const symbolKeys = (o: object): ReadonlyArray<symbol> => {
  const symbols = Object.getOwnPropertySymbols(o)
  return symbols.length === 0 ? symbols : symbols.filter((k) => Object.prototype.propertyIsEnumerable.call(o, k))
}

/** How a symbol key is named in a key and in a path: `Symbol.for(unit)` for a registered one, else `Symbol(unit)`. */
const symbolName = (k: symbol): string => {
  const registered = Symbol.keyFor(k)
  return registered !== undefined ? `Symbol.for(${registered})` : k.toString()
}

/**
 * `out[k] = v`, keeping a `"__proto__"` key (JSON.parse makes one) a key: assigned, it would set
 * the object's prototype and drop it from the value.
 */
const setOwn = <A>(out: Record<string, A>, k: string, v: A): void => {
  if (k === "__proto__") Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true })
  else out[k] = v
}

/** An object with `value(k)` for each of `keys`, each its own property (`setOwn`). */
const ownObjectOf = <A>(keys: ReadonlyArray<string>, value: (k: string) => A): Record<string, A> => {
  const out: Record<string, A> = {}
  for (const k of keys) setOwn(out, k, value(k))
  return out
}

const childPath = (path: string, key: string | number): string =>
  typeof key === "number" ? `${path}[${key}]` : /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`

// ---------------------------------------------------------------------------------------------
// Secrets (LaminDB: api_key|access_key|secret|token|password|passwd|private_key|client_secret,
// camelCase converted to snake_case). Matched on whole snake_case words so `max_tokens` stays.

const SECRET_WORDS = ["api_key", "access_key", "secret", "token", "password", "passwd", "private_key", "client_secret", "secret_key"]

/** LaminDB's placeholder for redacted values. */
export const REDACTED = "***REDACTED***"

// Param names repeat on every call (twice per call: params and key): remembered, bounded.
const secretKeys = new Map<string, boolean>()

/** True when a param name looks like it holds a secret. */
export const isSecretKey = (key: string): boolean => {
  const known = secretKeys.get(key)
  if (known !== undefined) return known
  const snake = `_${key.replace(/([a-z0-9])([A-Z])/g, "$1_$2").replace(/[-\s]/g, "_").toLowerCase()}_`
  const secret = SECRET_WORDS.some((w) => snake.includes(`_${w}_`))
  if (secretKeys.size >= 4096) secretKeys.clear()
  secretKeys.set(key, secret)
  return secret
}

/** Postgres URLs with a password: the password replaced. */
const redactUrl = (s: string): string => s.replace(/^(postgres(?:ql)?:\/\/[^:/@]+:)[^@]+@/, "$1***@")

// ---------------------------------------------------------------------------------------------
// Params and cache keys

/** An artifact found inside a param value. */
export interface ArtifactRef {
  readonly path: string
  readonly artifact: Artifact
}

/** Options of `paramJson`. */
export interface ParamJsonOptions {
  /** "params": LaminDB's display form; "key": the form hashed into a cache key. */
  readonly mode: "params" | "key"
  /** Collects the artifacts met (in order), for input recording and the cache key. */
  readonly artifacts?: Array<ArtifactRef>
  /** `"key"` mode only: collects the strings that look like local paths (checked when the run ends, fileParams.ts). */
  readonly paths?: Array<KeyPath>
  /**
   * `"key"` mode only: how to key what cannot be encoded (a function, a symbol, a class instance
   * without a codec, a cycle; `what` describes it) instead of refusing it — for a step's captured
   * variables, where a client or a logger rides along with the data.
   */
  readonly opaque?: (value: unknown, what: string) => Json
}

/** The tag of `"key"`-mode values that are not JSON, and of results (see `encodeResult`). */
const TAG = "$lamina"

/** A tagged key-mode value: no JSON value a param can hold has this shape (see the `object` wrap). */
const keyTag = (kind: string, value?: Json): Json => (value === undefined ? { [TAG]: kind } : { [TAG]: kind, value })

const byCanonical = (a: Json, b: Json): number => (canonicalJson(a) < canonicalJson(b) ? -1 : 1)

/**
 * The canonical JSON of a param value. In `"params"` mode (LaminDB's display form) `undefined`
 * object entries are dropped, secrets redacted, and dates, sets or -0 shown as plain JSON. In
 * `"key"` mode artifacts become `Artifact#<hash>` so the key follows content, not identity,
 * records enter with their fields (they are mutable), and every value a body can tell apart keys
 * apart: what JSON cannot hold (undefined, -0, NaN, bigints, dates, URLs, patterns, bytes, maps, sets,
 * Options, codec values) is tagged, so it never shares a key with a string, null or an array that
 * a lossy form would equal. JSON values keep their text.
 */
export const paramJson = (value: unknown, path: string, options: ParamJsonOptions): Json => {
  const ancestors = new Set<object>()
  const key = options.mode === "key"
  const refuse = (p: string, v: unknown, what: string): Json => {
    if (!key || options.opaque === undefined) throw new Unencodable(p, what)
    return keyTag("opaque", options.opaque(v, what))
  }
  const go = (v: unknown, p: string, name: string | undefined): Json => {
    if (!key && name !== undefined && isSecretKey(name) && v !== undefined && v !== null) return REDACTED
    switch (typeof v) {
      case "string": {
        if (!key) return redactUrl(v)
        // A secret's value is never stored, not even as a file's path.
        const candidate = options.paths === undefined || (name !== undefined && isSecretKey(name)) ? undefined : pathOf(p, v)
        if (candidate !== undefined) options.paths?.push(candidate)
        return v
      }
      case "boolean":
        return v
      case "number":
        if (Number.isFinite(v) && !Object.is(v, -0)) return v
        return key ? keyTag("number", Object.is(v, -0) ? "-0" : String(v)) : Number.isFinite(v) ? 0 : String(v)
      case "bigint":
        return key ? keyTag("bigint", v.toString()) : `${v}n`
      case "undefined":
        return key ? keyTag("undefined") : null
      case "function":
      case "symbol":
        return refuse(p, v, describe(v))
    }
    if (v === null) return null
    const o = v as object
    if (o instanceof Artifact) {
      options.artifacts?.push({ path: p, artifact: o })
      return key ? `Artifact#${o.hash ?? o.uid}` : recordParam("Artifact", o.uid)
    }
    const model = recordModelOf(o)
    if (model !== undefined) {
      const ref = recordParam(model, (o as { readonly uid: string }).uid)
      if (!key || ancestors.has(o)) return ref
      // A record is mutable (a renamed label, an edited description): its fields as the body
      // sees them key it, as an artifact's content does. A field that cannot be encoded is left out.
      const fields: Record<string, Json> = {}
      ancestors.add(o)
      try {
        for (const k of Object.keys(o).sort())
          try {
            setOwn(fields, k, go((o as Record<string, unknown>)[k], childPath(p, k), k))
          } catch (e) {
            if (!(e instanceof Unencodable)) throw e
          }
      } finally {
        ancestors.delete(o)
      }
      return keyTag("record", [ref, fields])
    }
    if (o instanceof Date) {
      const iso = Number.isNaN(o.getTime()) ? "Invalid Date" : o.toISOString()
      return key ? keyTag("Date", iso) : iso
    }
    if (o instanceof URL) return key ? keyTag("URL", o.toString()) : o.toString()
    if (o instanceof RegExp) return key ? keyTag("RegExp", o.toString()) : o.toString()
    if (ancestors.has(o)) return refuse(p, o, "a reference back to one of its own containers (a cycle)")
    ancestors.add(o)
    try {
      if (Array.isArray(o)) return o.map((x, i) => go(x, childPath(p, i), undefined))
      // A Buffer is a Uint8Array a body can tell apart (`toString()`): keyed with its kind below.
      if (o instanceof Uint8Array && Object.getPrototypeOf(o) === Uint8Array.prototype) {
        const bytes = `${o.byteLength}:${hashBytes(o).hash}`
        return key ? keyTag("bytes", bytes) : `Bytes[${bytes}]`
      }
      if (o instanceof Map) {
        const entries = [...o.entries()].map(([k, x], i): Json => [go(k, childPath(p, i), undefined), go(x, childPath(p, i), undefined)]).sort(byCanonical)
        return key ? keyTag("Map", entries) : entries
      }
      if (o instanceof Set) {
        const items = [...o].map((x, i) => go(x, childPath(p, i), undefined)).sort(byCanonical)
        return key ? keyTag("Set", items) : items
      }
      if (Option.isOption(o)) {
        if (key) return Option.isSome(o) ? keyTag("Some", go(o.value, childPath(p, "value"), undefined)) : keyTag("None")
        return Option.isSome(o) ? { _tag: "Some", value: go(o.value, childPath(p, "value"), undefined) } : { _tag: "None" }
      }
      if (Either.isEither(o)) {
        const [tag, side, inner] = Either.isRight(o) ? (["Right", "right", o.right] as const) : (["Left", "left", o.left] as const)
        const json = go(inner, childPath(p, side), undefined)
        return key ? keyTag(tag, json) : { _tag: tag, [side]: json }
      }
      if (!isPlainObject(o)) {
        const codec = codecFor(o)
        if (codec === undefined && (ArrayBuffer.isView(o) || o instanceof ArrayBuffer)) {
          // Other typed arrays, a Buffer, a DataView, an ArrayBuffer: their bytes and their kind
          // (a Float64Array's 8 bytes are not a Uint8Array's), as a Uint8Array's above.
          const view = ArrayBuffer.isView(o) ? new Uint8Array(o.buffer, o.byteOffset, o.byteLength) : new Uint8Array(o)
          const bytes = `${o.constructor.name}:${view.byteLength}:${hashBytes(view).hash}`
          return key ? keyTag("bytes", bytes) : `Bytes[${bytes}]`
        }
        if (codec === undefined) return refuse(p, o, describe(o))
        const json = go(codec.encode(o), p, undefined)
        return key ? { [TAG]: "codec", tag: codec.tag, value: json } : { [`$${codec.tag}`]: json }
      }
      const out: Record<string, Json> = {}
      for (const k of Object.keys(o).sort()) {
        const x = (o as Record<string, unknown>)[k]
        if (x === undefined && !key) continue
        setOwn(out, k, go(x, childPath(p, k), k))
      }
      if (!key) return out
      // An object that happens to use the tag key is wrapped, so it never equals a tagged value.
      const keyed = TAG in out ? keyTag("object", out) : out
      // Properties keyed by symbols are the body's to read as well: they key too (JSON drops them).
      const symbols = symbolKeys(o)
      if (symbols.length === 0) return keyed
      const bySymbol = symbols.map((k): Json => [symbolName(k), go(Reflect.get(o, k), `${p}[${symbolName(k)}]`, undefined)]).sort(byCanonical)
      return keyTag("symbols", [keyed, bySymbol])
    } finally {
      ancestors.delete(o)
    }
  }
  return go(value, path, path)
}

/** JSON text with object keys sorted at every depth: equal values give equal text. */
export const canonicalJson = (value: Json): string => {
  if (value === null || typeof value !== "object") return JSON.stringify(value)
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`
  const o = value as { readonly [key: string]: Json }
  return `{${Object.keys(o)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k]!)}`)
    .join(",")}}`
}

// ---------------------------------------------------------------------------------------------
// Results: reversible

/** A record a decoded result refers to. */
export interface ResultRefs {
  readonly artifacts: ReadonlyArray<string>
  readonly records: ReadonlyArray<{ readonly model: string; readonly uid: string }>
}

/** Encode a return value reversibly; collects the artifacts it contains. */
export const encodeResult = (value: unknown, artifacts?: Array<Artifact>): Json => {
  const ancestors = new Set<object>()
  const go = (v: unknown, p: string): Json => {
    switch (typeof v) {
      case "string":
      case "boolean":
        return v
      case "number":
        return Number.isFinite(v) && !Object.is(v, -0) ? v : { [TAG]: "number", value: Object.is(v, -0) ? "-0" : String(v) }
      case "bigint":
        return { [TAG]: "bigint", value: v.toString() }
      case "undefined":
        return { [TAG]: "undefined" }
      case "function":
      case "symbol":
        throw new Unencodable(p, describe(v))
    }
    if (v === null) return null
    const o = v as object
    if (o instanceof Artifact) {
      artifacts?.push(o)
      return { [TAG]: "Artifact", uid: o.uid }
    }
    const model = recordModelOf(o)
    if (model !== undefined) return { [TAG]: "record", model, uid: (o as { readonly uid: string }).uid }
    if (o instanceof Date) return { [TAG]: "Date", value: Number.isNaN(o.getTime()) ? "Invalid Date" : o.toISOString() }
    if (o instanceof URL) return { [TAG]: "URL", value: o.toString() }
    if (ancestors.has(o)) throw new Unencodable(p, "a reference back to one of its own containers (a cycle)")
    ancestors.add(o)
    try {
      if (Array.isArray(o)) return o.map((x, i) => go(x, childPath(p, i)))
      const bytes = bytesOf(o)
      if (bytes !== undefined) return bytes
      if (o instanceof Map) return { [TAG]: "Map", entries: [...o.entries()].map(([k, x], i) => [go(k, childPath(p, i)), go(x, childPath(p, i))]) }
      if (o instanceof Set) return { [TAG]: "Set", values: [...o].map((x, i) => go(x, childPath(p, i))) }
      if (Option.isOption(o)) return Option.isSome(o) ? { [TAG]: "Some", value: go(o.value, childPath(p, "value")) } : { [TAG]: "None" }
      if (Either.isEither(o))
        return Either.isRight(o)
          ? { [TAG]: "Right", value: go(o.right, childPath(p, "right")) }
          : { [TAG]: "Left", value: go(o.left, childPath(p, "left")) }
      if (!isPlainObject(o)) {
        const codec = codecFor(o)
        if (codec === undefined) throw new Unencodable(p, describe(o))
        return { [TAG]: "codec", tag: codec.tag, value: go(codec.encode(o), p) }
      }
      const [symbol] = symbolKeys(o)
      // A hit could not give it back: the run completes uncached rather than return less.
      if (symbol !== undefined) throw new Unencodable(`${p}[${symbolName(symbol)}]`, "a property keyed by a symbol, which a cached result cannot restore")
      const out = ownObjectOf(Object.keys(o), (k) => go((o as Record<string, unknown>)[k], childPath(p, k)))
      // An object that happens to use our tag key is wrapped so decoding leaves it alone.
      return TAG in out ? { [TAG]: "object", value: out } : out
    } finally {
      ancestors.delete(o)
    }
  }
  return go(value, "result")
}

/** The views of binary data a result may hold besides a Uint8Array and a Buffer, by constructor name. */
const BINARY_VIEWS: Readonly<Record<string, new (buffer: ArrayBuffer) => ArrayBufferView>> = {
  Int8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
  DataView
}

/**
 * A result's binary data, reversibly and of its own kind (a hit returning a Uint8Array for a
 * Buffer gave `toString()` as "104,101,…"); undefined for anything else, a subclass included.
 */
const bytesOf = (o: object): Json | undefined => {
  const proto: unknown = Object.getPrototypeOf(o)
  if (o instanceof ArrayBuffer) return proto === ArrayBuffer.prototype ? { [TAG]: "binary", kind: "ArrayBuffer", value: Buffer.from(o).toString("base64") } : undefined
  if (!ArrayBuffer.isView(o)) return undefined
  const value = Buffer.from(o.buffer, o.byteOffset, o.byteLength).toString("base64")
  if (proto === Uint8Array.prototype) return { [TAG]: "bytes", value }
  if (proto === Buffer.prototype) return { [TAG]: "Buffer", value }
  const kind = o.constructor.name
  return BINARY_VIEWS[kind]?.prototype === proto ? { [TAG]: "binary", kind, value } : undefined
}

const tagged = (v: Json): v is { readonly [key: string]: Json } =>
  typeof v === "object" && v !== null && !Array.isArray(v) && typeof (v as Record<string, Json>)[TAG] === "string"

/** The records an encoded result refers to, so they can be fetched in one query. */
export const resultRefs = (json: Json): ResultRefs => {
  const artifacts: Array<string> = []
  const records: Array<{ model: string; uid: string }> = []
  const go = (v: Json): void => {
    if (v === null || typeof v !== "object") return
    if (Array.isArray(v)) return (v as ReadonlyArray<Json>).forEach(go)
    const o = v as { readonly [key: string]: Json }
    if (tagged(o)) {
      if (o[TAG] === "Artifact") artifacts.push(String(o.uid))
      else if (o[TAG] === "record") records.push({ model: String(o.model), uid: String(o.uid) })
      else if (o[TAG] === "object") Object.values(o.value as Record<string, Json>).forEach(go)
      else for (const k of ["value", "entries", "values"]) if (k in o) go(o[k]!)
      return
    }
    for (const x of Object.values(v as Record<string, Json>)) go(x)
  }
  go(json)
  return { artifacts, records }
}

/** Rebuild a return value; `artifact` and `record` resolve references fetched beforehand. */
export const decodeResult = (
  json: Json,
  resolve: { readonly artifact: (uid: string) => Artifact; readonly record: (model: string, uid: string) => unknown }
): unknown => {
  const go = (v: Json): unknown => {
    if (v === null || typeof v !== "object") return v
    if (Array.isArray(v)) return v.map(go)
    const o = v as { readonly [key: string]: Json }
    if (!tagged(o)) {
      return ownObjectOf(Object.keys(o), (k) => go(o[k]!))
    }
    switch (o[TAG]) {
      case "number":
        return o.value === "-0" ? -0 : Number(o.value)
      case "bigint":
        return BigInt(String(o.value))
      case "undefined":
        return undefined
      case "Artifact":
        return resolve.artifact(String(o.uid))
      case "record":
        return resolve.record(String(o.model), String(o.uid))
      case "Date":
        return new Date(String(o.value))
      case "URL":
        return new URL(String(o.value))
      case "bytes":
        return new Uint8Array(Buffer.from(String(o.value), "base64"))
      case "Buffer":
        return Buffer.from(String(o.value), "base64")
      case "binary": {
        const bytes = Buffer.from(String(o.value), "base64")
        // A copy of its own, so a view with 8-byte elements starts aligned.
        const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)
        if (o.kind === "ArrayBuffer") return buffer
        const view = BINARY_VIEWS[String(o.kind)]
        if (view === undefined) throw new Unencodable("result", `tagged as binary data of unknown kind '${String(o.kind)}'`)
        return new view(buffer)
      }
      case "Map":
        return new Map((o.entries as ReadonlyArray<ReadonlyArray<Json>>).map(([k, x]) => [go(k!), go(x!)] as const))
      case "Set":
        return new Set((o.values as ReadonlyArray<Json>).map(go))
      case "Some":
        return Option.some(go(o.value!))
      case "None":
        return Option.none()
      case "Right":
        return Either.right(go(o.value!))
      case "Left":
        return Either.left(go(o.value!))
      case "codec": {
        const codec = codecs.get(String(o.tag))
        if (codec === undefined) throw new Unencodable("result", `encoded with codec '${String(o.tag)}', which is not registered in this process`)
        return codec.decode(go(o.value!))
      }
      case "object": {
        const inner = o.value as { readonly [key: string]: Json }
        return ownObjectOf(Object.keys(inner), (k) => go(inner[k]!))
      }
      default:
        throw new Unencodable("result", `tagged with unknown kind '${String(o[TAG])}'`)
    }
  }
  return go(json)
}
