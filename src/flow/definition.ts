/**
 * A step's or flow's definition (what `step()` / `flow()` capture once, at definition time) and
 * the preparation of one call: binding arguments to params, recording them canonically, finding
 * the artifacts passed in, and building the cache key's components.
 *
 * @module
 */
import { Effect, ParseResult, Schema } from "effect"
import { InvalidArgument, ValidationError } from "../errors.js"
import { hashString } from "../storage/hash.js"
import type { KeyMaterial } from "../tracker/cacheKey.js"
import { canonicalJson, isSecretKey, paramJson, Unencodable, type ArtifactRef, type Json } from "../tracker/canonical.js"
import { CAPTURED, CODE_READ, pathOf, type KeyPath } from "../tracker/fileParams.js"
import { keyForm, ownFields, privateFields, projectClassOf, surroundingsOf, writesOf, type Captured } from "./captures.js"
import { arrowContent } from "./arrowContent.js"
import { dataPrint, deeplyFrozen } from "./dataPrint.js"
import { schemaFingerprint } from "./schemaFingerprint.js"
import type { EnvItem } from "./environment.js"
import { moduleText } from "./moduleText.js"
import { bindParams, parseParams, type BoundParam, type ParamSpec } from "./params.js"
import type { CodeFingerprint } from "./codeFingerprint.js"
import { withReceiverClass } from "./receiverClasses.js"
import { callerFiles, envVarValue, type FingerprintMode, type SourceInfo } from "./source.js"

/** Options shared by steps and flows. */
export interface CommonOptions {
  /** The run name and, with the module path, the transform key. Default: the function's name. */
  readonly name?: string
  /** Override the transform key (default `<module path>:<name>`). */
  readonly key?: string
  readonly description?: string
  /** Params recorded but left out of the cache key, and allowed to be non-serializable. */
  readonly ignore?: ReadonlyArray<string>
}

/** What `step()` / `flow()` capture once per function. */
export interface Definition {
  readonly kind: "step" | "flow"
  readonly name: string
  /** True for a decorated class method (its transform key depends on the class of `self`). */
  readonly method: boolean
  /** The transform key for a call on `self` (methods include their class name). */
  readonly keyFor: (self: unknown) => string
  /** The run's entrypoint (LaminDB: the function's qualified name). */
  readonly entrypointFor: (self: unknown) => string
  readonly source: SourceInfo
  readonly paramSpecs: ReadonlyArray<ParamSpec>
  readonly paramsSchema: Schema.Schema<unknown, unknown, never> | undefined
  readonly ignore: ReadonlySet<string>
  readonly description: string | undefined
  /**
   * A step's captured variables as key params (`captured:<name>` → hash), as they were at its
   * first call — or at this call, when its module reassigns one of them; undefined for none.
   */
  readonly captured: CapturedKey | undefined
  /**
   * `captured` for a call on `self`: a method step's class is read with it, at its first call (the
   * methods it calls through `this` read the module's data as helpers do).
   */
  readonly capturedFor: (self: unknown) => CapturedKey | undefined
  /**
   * The code fingerprint a call on `self` is keyed by (undefined in function mode): what the
   * step's module reaches and, for a method step, the files declaring its receiver's classes as
   * `noteReceiver` found them (receiverClasses.ts).
   */
  readonly reachFor: (self: unknown) => CodeFingerprint | undefined
  /** A method step's call on `self`, while the calling code is on the stack: the first of each class finds the files declaring it. */
  readonly noteReceiver: (self: unknown) => void
  /**
   * The environment items its cache key reads: those declared (`env` option), then, for a step,
   * the variables its source reads by name (`process.env.NAME` → `var:NAME`).
   */
  readonly env: ReadonlyArray<EnvItem>
}

/** A step function's captured variables as cache-key material. */
export interface CapturedKey {
  /** `captured:<name>` → hash of the value's canonical key form. */
  readonly params: Readonly<Record<string, Json>>
  /** Those of `params` whose names look like secrets (stored redacted). */
  readonly secrets: ReadonlyArray<string>
  /**
   * The captured objects hashed again at every call, by reference (`Object.assign(config, …)`,
   * another module setting a field: no inspector needed to see it); empty when none.
   */
  readonly live: ReadonlyArray<LiveCapture>
  /**
   * The environment variables the functions the step calls read by name (`process.env.NAME` in
   * a helper), beyond those its own source reads: keyed like `env: ["var:NAME"]`.
   */
  readonly envVars: ReadonlyArray<string>
  /** The files the functions the step calls read by a literal name, beyond those its own source reads. */
  readonly readPaths: ReadonlyArray<string>
  /** The properties of the global object the step and the functions it calls read (`globalThis.SETTINGS`): keyed at each call, as they are then. */
  readonly globals: ReadonlyArray<string>
  /**
   * Strings in captured values that name local files (`const WEIGHTS = "weights.json"`), but for
   * those of `live` (theirs are in their `last`): checked on a hit like a param's files.
   */
  readonly paths: ReadonlyArray<KeyPath>
  /** Where each of `params` lives: its variable's name and the modules that could write it (undefined: unknown). */
  readonly origins: ReadonlyArray<{ readonly param: string; readonly variable: string; readonly files: ReadonlyArray<string> | undefined }>
}

/**
 * A captured object keyed at every call: its param, the object and the fields read of it, and
 * what it was at the last check (its `dataPrint` and key hash), so an unchanged one is not keyed again.
 */
interface LiveCapture extends Captured {
  readonly param: string
  /** The module the variable lives in. */
  readonly file: string | undefined
  readonly last: { print: string | undefined; hash: string; paths: ReadonlyArray<KeyPath> }
}

/**
 * The key form (canonical JSON, in characters) above which the step says once that a captured
 * object is checked at every call (a quarter MB: about 3 ms a call here) and how to avoid it.
 */
const LARGE_CAPTURE = 262_144

const warnedLarge = new Set<string>()

/** Say once per step and variable that a large captured object is hashed at every call, and how to avoid it. */
const warnLargeCapture = (step: string, name: string, chars: number): void => {
  const id = `${step}\0${name}`
  if (warnedLarge.has(id)) return
  warnedLarge.add(id)
  process.emitWarning(
    `Step '${step}' captures '${name}' (${Math.round(chars / 1024)} KB as a key): it is hashed again at every call, since it could change between calls. ` +
      `Freeze it deeply (Object.freeze on it and everything in it) to key it once, or pass it as a param or an artifact.`,
    { code: "LAMINA_LARGE_CAPTURE" }
  )
}

/**
 * How a captured value that is not data enters the key, for a variable of the module `file`: a
 * schema by its structure, a function by its source, an Arrow table or vector by its content, an
 * instance of a project class by its class and fields (`{ model: new Model(w) }`), the rest by
 * what it is (its class).
 */
const opaqueKeyIn = (file: string | undefined) => {
  // Instances being keyed, so one that refers back to another (a tree's parent) ends.
  const open = new Set<object>()
  const opaque = (value: unknown, what: string): Json => {
    if (Schema.isSchema(value)) return `schema ${schemaFingerprint(value as Schema.Schema.AnyNoContext)}`
    if (typeof value === "function") return `function ${hashString(value.toString())}`
    const className = projectClassOf(value, file)
    if (className === undefined || open.has(value as object)) return arrowContent(value) ?? what
    open.add(value as object)
    try {
      return { class: className, fields: paramJson(ownFields(value as object), what, { mode: "key", opaque }) }
    } finally {
      open.delete(value as object)
    }
  }
  return opaque
}

/**
 * A captured value's canonical key form (`form`: its `keyForm`; `file`: the module the variable
 * lives in): keyed like a param but never refused (`opaqueKeyIn`).
 */
const capturedJson = (form: unknown, name: string, file: string | undefined, paths: Array<KeyPath>): string => {
  let json: Json
  const found: Array<KeyPath> = []
  try {
    json = paramJson(form, name, { mode: "key", opaque: opaqueKeyIn(file), paths: found })
  } catch (e) {
    // A getter or a codec that throws: keyed by what it throws.
    json = { unreadable: String(e) }
  }
  // Named as captures are in the key (`captured:WEIGHTS`), so a changed file's message says whose it is.
  for (const p of found) paths.push({ ...p, param: CAPTURED + p.param })
  return canonicalJson(json)
}

/**
 * The variables `fn` captures from the code that made it (flow/captures.ts), hashed. A primitive
 * is hashed once here; an object too, and again at each call (`withLive`) unless it is deeply
 * frozen: whoever holds it can change it between calls, and nothing short of hashing it shows that.
 */
const capturedKey = (
  step: string,
  fn: Function,
  ignore: ReadonlySet<string>,
  files: ReadonlyArray<string>,
  own: Pick<SourceInfo, "envVars" | "readPaths">,
  receiverClass: Function | undefined
): CapturedKey | undefined => {
  const surroundings = surroundingsOf(fn, files[0], receiverClass)
  if (surroundings === undefined) return undefined
  const vars = surroundings.variables
  const params: Record<string, Json> = {}
  const secrets: Array<string> = []
  const live: Array<LiveCapture> = []
  const origins: Array<CapturedKey["origins"][number]> = []
  const paths: Array<KeyPath> = []
  for (const [name, c] of vars) {
    // Another module's variable is listed by its key name (`scratch (src/files.ts)`) or its own.
    if (ignore.has(name) || (c.origin !== undefined && ignore.has(c.origin.variable))) continue
    const form = keyForm(c)
    const file = c.origin === undefined ? files[0] : c.origin.file
    const named: Array<KeyPath> = []
    const json = capturedJson(form, name, file, named)
    params[CAPTURED + name] = hashString(json)
    origins.push({ param: CAPTURED + name, variable: c.origin?.variable ?? name, files: c.origin === undefined ? files : c.origin.file === undefined ? undefined : [c.origin.file] })
    if (isSecretKey(name)) secrets.push(CAPTURED + name)
    if (((typeof c.value === "object" && c.value !== null) || c.instance !== undefined) && !deeplyFrozen(c.value)) {
      live.push({ ...c, param: CAPTURED + name, file, last: { print: printOf(form), hash: params[CAPTURED + name] as string, paths: named } })
      if (json.length > LARGE_CAPTURE) warnLargeCapture(step, name, json.length)
    } else paths.push(...named)
  }
  // The command line, when it or a function it calls reads it (`Number(process.argv[2])` inside the
  // step): its arguments, not the node binary and script paths, which differ between hosts.
  if (surroundings.argv) params[CAPTURED + ARGV] = hashString(capturedJson(process.argv.slice(2), ARGV, files[0], paths))
  const envVars = surroundings.envVars.filter((v) => !own.envVars.includes(v))
  const readPaths = surroundings.readPaths.filter((p) => !own.readPaths.includes(p))
  const globals = surroundings.globals
  return Object.keys(params).length === 0 && envVars.length === 0 && readPaths.length === 0 && globals.length === 0 ? undefined : { params, secrets, live, origins, envVars, readPaths, paths, globals }
}

/** The name the command line's arguments are keyed by (`why`: captured variable 'process.argv'). */
const ARGV = "process.argv"

/** How a global the step reads is named among its captures (`why`: captured variable 'globalThis.SETTINGS'). */
const GLOBAL = "globalThis."

/** `dataPrint` of a key form; undefined when a getter throws (the key form says what it threw). */
const printOf = (form: unknown): string | undefined => {
  try {
    return dataPrint(form)
  } catch {
    return undefined
  }
}

/** `key` with its live captures hashed as they are now (the same object when none changed). */
const withLive = (key: CapturedKey): CapturedKey => {
  let params: Record<string, Json> | undefined
  for (const c of key.live) {
    const form = keyForm(c)
    const print = printOf(form)
    // Unchanged plain data since the last check: its hash then.
    if (print === undefined || print !== c.last.print) {
      const named: Array<KeyPath> = []
      c.last.hash = hashString(capturedJson(form, c.param.slice(CAPTURED.length), c.file, named))
      c.last.print = print
      c.last.paths = named
    }
    if (c.last.hash !== key.params[c.param]) (params ??= { ...key.params })[c.param] = c.last.hash
  }
  return params === undefined ? key : { ...key, params }
}

/**
 * Whether a variable `key` holds is written in a way only reading it again shows: a `let` a loop
 * reassigns, or an object changed whole, by the modules that could write it (the step's, or the
 * imported module it lives in). A module that could not be found or read counts as writing it (a
 * step typed into the REPL or `node -e`); fields set on an object show in its hash (`withLive`).
 */
const reassigns = (key: CapturedKey): boolean => {
  const live = new Set(key.live.map((c) => c.param))
  return key.origins.some(
    ({ param, variable, files }) =>
      files === undefined ||
      files.length === 0 ||
      files.some((f) => {
        const text = moduleText(f)
        const w = text === undefined ? "whole" : writesOf(text, variable)
        return w === "whole" || (w !== undefined && !live.has(param))
      })
  )
}

/** A prepared call. */
export interface PreparedCall {
  /** Arguments the body is called with (decoded by the params schema, if any). */
  readonly callArgs: ReadonlyArray<unknown>
  readonly bound: ReadonlyArray<BoundParam>
  /** `run.params`: LaminDB's canonical, redacted form. */
  readonly params: Record<string, Json>
  /** Artifacts passed in, in argument order. */
  readonly inputs: ReadonlyArray<ArtifactRef>
}

const unencodable = (def: Definition, e: Unencodable, param: string): InvalidArgument =>
  new InvalidArgument({
    message:
      `Cannot record parameter '${param}' of ${def.kind} '${def.name}': ${e.message}. ` +
      `Params must be JSON-like values, artifacts or records. Pass such values through a closure, ` +
      `list the parameter in { ignore: ['${param}'] }, or register a codec with registerCodec().`
  })

/** Record bound arguments: `run.params` and the artifacts passed in; an unencodable one not ignored is refused. */
const recordBound = (def: Definition, callArgs: ReadonlyArray<unknown>, bound: ReadonlyArray<BoundParam>): PreparedCall | InvalidArgument => {
  const params: Record<string, Json> = {}
  const inputs: Array<ArtifactRef> = []
  for (const { name, value } of bound) {
    // LaminDB drops None and empty lists from params.
    if (value === undefined || value === null || (Array.isArray(value) && value.length === 0)) continue
    try {
      params[name] = paramJson(value, name, { mode: "params", artifacts: inputs })
    } catch (e) {
      if (!(e instanceof Unencodable)) throw e
      if (!def.ignore.has(name)) return unencodable(def, e, name)
      params[name] = `<ignored: ${e.what}>`
    }
  }
  return { callArgs, bound, params, inputs }
}

/**
 * `prepareCall` without a params schema, as a plain call (the cache-hit fast path, `hitNow.ts`):
 * undefined when the definition has a params schema (decoding it is an Effect).
 */
export const prepareCallSync = (def: Definition, args: ReadonlyArray<unknown>): PreparedCall | InvalidArgument | undefined =>
  def.paramsSchema !== undefined ? undefined : recordBound(def, args, bindParams(def.paramSpecs, args))

/** Bind, validate and record a call's arguments. */
export const prepareCall = (def: Definition, args: ReadonlyArray<unknown>): Effect.Effect<PreparedCall, InvalidArgument | ValidationError> =>
  Effect.gen(function* () {
    let callArgs = args
    let bound: ReadonlyArray<BoundParam>
    if (def.paramsSchema !== undefined) {
      const schema = def.paramsSchema
      const decoded = yield* Schema.decodeUnknown(schema)(args[0]).pipe(
        Effect.mapError(
          (e) => new ValidationError({ message: `Invalid params for ${def.kind} '${def.name}':\n${ParseResult.TreeFormatter.formatErrorSync(e)}` })
        )
      )
      const encoded = yield* Schema.encode(schema)(decoded).pipe(
        Effect.mapError((e) => new ValidationError({ message: `Params of ${def.kind} '${def.name}' do not encode: ${ParseResult.TreeFormatter.formatErrorSync(e)}` }))
      )
      callArgs = [decoded, ...args.slice(1)]
      bound =
        typeof encoded === "object" && encoded !== null && !Array.isArray(encoded)
          ? Object.entries(encoded as Record<string, unknown>).map(([name, value]) => ({ name, value }))
          : [{ name: "params", value: encoded }]
    } else {
      bound = bindParams(def.paramSpecs, args)
    }
    const prepared = recordBound(def, callArgs, bound)
    return prepared instanceof InvalidArgument ? yield* prepared : prepared
  })

/** The key param holding a method's receiver fields (not a valid parameter name: no clash). */
const RECEIVER = "this"

/** The class of a method's receiver (the receiver itself for a static method). */
const classOf = (self: unknown): Function | undefined =>
  typeof self === "function"
    ? self
    : typeof self === "object" && self !== null
      ? ((Object.getPrototypeOf(self) as { readonly constructor?: unknown } | null)?.constructor as Function | undefined)
      : undefined

/**
 * A method's receiver as key material: its own enumerable fields (`this.lr`), each keyed like a
 * param, and its `#private` fields (`this.#w`); undefined when it has none. The body reads them as
 * it reads its arguments, so another instance must not hit this one's runs. `ignore: ["this"]` or
 * `["this.<field>"]` (`["this.#w"]`) leaves them out. A public field that cannot be keyed is
 * refused by name; a private one (a client it keeps) is keyed by what it is, like a captured
 * value, since the caller cannot see it to list it. State in closures is not visible here.
 */
const receiverJson = (def: Definition, self: unknown): Record<string, Json> | InvalidArgument | undefined => {
  if (!def.method || def.ignore.has(RECEIVER) || (typeof self !== "object" && typeof self !== "function") || self === null) return undefined
  const kept = (k: string) => !def.ignore.has(`${RECEIVER}.${k}`)
  const fields = Object.keys(self).filter(kept)
  const privates = Object.entries(privateFields(self)).filter(([k]) => kept(k))
  if (fields.length === 0 && privates.length === 0) return undefined
  const out: Record<string, Json> = {}
  for (const k of fields) {
    try {
      out[k] = paramJson(Reflect.get(self, k), `${RECEIVER}.${k}`, { mode: "key" })
    } catch (e) {
      if (!(e instanceof Unencodable)) throw e
      return unencodable(def, e, `${RECEIVER}.${k}`)
    }
  }
  for (const [k, v] of privates) out[k] = paramJson(v, `${RECEIVER}.${k}`, { mode: "key", opaque: opaqueKeyIn(def.source.files[0]) })
  return out
}

/** What the cache key of a prepared call on `self` (a method's receiver) is computed from. */
export const keyMaterialOf = (
  def: Definition,
  call: PreparedCall,
  self: unknown,
  transformKey: string,
  env: Readonly<Record<string, string>>,
  version: string | undefined,
  result?: string
): KeyMaterial | InvalidArgument => {
  const params: Record<string, Json> = {}
  const secrets: Array<string> = []
  const inputs: Array<ArtifactRef> = []
  const paths: Array<KeyPath> = []
  for (const { name, value } of call.bound) {
    if (def.ignore.has(name)) continue
    try {
      params[name] = paramJson(value, name, { mode: "key", artifacts: inputs, paths })
    } catch (e) {
      if (!(e instanceof Unencodable)) throw e
      return unencodable(def, e, name)
    }
    if (isSecretKey(name)) secrets.push(name)
  }
  const receiver = receiverJson(def, self)
  if (receiver instanceof InvalidArgument) return receiver
  if (receiver !== undefined) {
    params[RECEIVER] = receiver
    // Its hash is stored for `why` only when no field holds a secret.
    if (Object.keys(receiver).some(isSecretKey)) secrets.push(RECEIVER)
  }
  // Once: a step whose module writes what it captured reads it again at each access.
  const captured = def.capturedFor(self)
  if (captured !== undefined) {
    Object.assign(params, captured.params)
    secrets.push(...captured.secrets)
  }
  // The files its captured strings name, and those its code reads by name: checked on a hit like files its params name.
  if (captured !== undefined) {
    paths.push(...captured.paths)
    for (const c of captured.live) paths.push(...c.last.paths)
    // The globals it reads, as they are now: another call may find them set otherwise.
    for (const name of captured.globals) {
      const global = `${GLOBAL}${name}`
      params[CAPTURED + global] = hashString(capturedJson(Reflect.get(globalThis, name), global, def.source.files[0], paths))
      if (isSecretKey(name)) secrets.push(CAPTURED + global)
    }
  }
  for (const reads of [def.source.readPaths, captured?.readPaths ?? []])
    for (const read of reads) {
      const p = pathOf(`${CODE_READ}${read}`, read)
      if (p !== undefined) paths.push(p)
    }
  // The environment variables its helpers read, found with its captures.
  const keyEnv = captured === undefined || captured.envVars.length === 0 ? env : { ...env, ...Object.fromEntries(captured.envVars.map((v) => [`var:${v}`, envVarValue(v)])) }
  const reach = def.reachFor(self)
  return {
    transform: transformKey,
    source: def.source.hash,
    ...(reach !== undefined ? { code: reach.hash } : {}),
    ...(result !== undefined ? { result } : {}),
    params,
    secrets,
    inputs: inputs.map((r) => ({ param: r.path, uid: r.artifact.uid, hash: r.artifact.hash ?? r.artifact.uid })),
    ...(paths.length > 0 ? { paths } : {}),
    env: keyEnv,
    ...(version !== undefined ? { version } : {})
  }
}

/** The declared environment items, then the variables the source reads that are not declared. */
const envOf = (declared: ReadonlyArray<EnvItem>, read: ReadonlyArray<string>): ReadonlyArray<EnvItem> => {
  const items = new Set<EnvItem>(declared)
  for (const name of read) items.add(`var:${name}`)
  return [...items]
}

/** Build a definition for a plain function (wrapper) or a method (decorator). */
export const makeDefinition = (options: {
  readonly kind: "step" | "flow"
  readonly name: string
  readonly fn: Function
  readonly source: SourceInfo
  readonly key?: string
  readonly method?: boolean
  readonly paramsSchema?: Schema.Schema<unknown, unknown, never>
  readonly ignore?: ReadonlyArray<string>
  readonly description?: string
  readonly env?: ReadonlyArray<EnvItem>
}): Definition => {
  const classNames = new Map<unknown, string>()
  const qualified = (self: unknown): string => {
    if (!options.method) return options.name
    const owner = typeof self === "function" ? self : (self as { readonly constructor?: unknown } | null | undefined)?.constructor
    let cls = classNames.get(owner)
    if (cls === undefined) {
      cls = (typeof owner === "function" && owner.name) || "<anonymous class>"
      classNames.set(owner, cls)
    }
    return `${cls}.${options.name}`
  }
  const ignore = new Set(options.ignore ?? [])
  // Read at the first call, not at definition: the module has loaded by then (a top-level
  // `const` declared below the step is set), and a factory's values are what it made the step
  // with. Read again at every call when the module reassigns one (≈ 0.4 ms a call, those steps
  // only); a captured object is hashed again at every call in any case (`withLive`).
  let captured: { readonly key: CapturedKey | undefined; readonly again: boolean } | undefined
  // A method step's class, from the receiver of its first call.
  let receiverClass: Function | undefined
  const capturedFor = (self: unknown): CapturedKey | undefined => {
    // Read without a receiver first (a runner's catalog), a method step is read again with its class.
    const cls = options.method && receiverClass === undefined ? classOf(self) : undefined
    if (captured === undefined || captured.again || cls !== undefined) {
      receiverClass ??= cls
      const key = options.kind === "step" ? capturedKey(options.name, options.fn, ignore, options.source.files, options.source, receiverClass) : undefined
      captured = { key, again: captured?.again ?? (key !== undefined && reassigns(key)) }
      return captured.key
    }
    return captured.key === undefined || captured.key.live.length === 0 ? captured.key : withLive(captured.key)
  }
  // A method step's fingerprint per receiver class (a subclass declared in another module).
  const receivers = new Map<Function, CodeFingerprint>()
  const noteReceiver = (self: unknown): void => {
    const cls = options.method ? classOf(self) : undefined
    if (cls === undefined || receivers.has(cls)) return
    const own = options.source.reach?.()
    if (own !== undefined) receivers.set(cls, withReceiverClass(own, cls, callerFiles(), Date.now() + 1))
  }
  const reachFor = (self: unknown): CodeFingerprint | undefined => {
    const cls = options.method ? classOf(self) : undefined
    return (cls !== undefined ? receivers.get(cls) : undefined) ?? options.source.reach?.()
  }
  return {
    kind: options.kind,
    name: options.name,
    method: options.method ?? false,
    keyFor: (self) => options.key ?? `${options.source.module}:${qualified(self)}`,
    entrypointFor: qualified,
    source: options.source,
    paramSpecs: parseParams(options.fn),
    paramsSchema: options.paramsSchema,
    ignore,
    description: options.description,
    get captured() {
      return capturedFor(undefined)
    },
    capturedFor,
    reachFor,
    noteReceiver,
    env: options.kind === "step" ? envOf(options.env ?? [], options.source.envVars) : (options.env ?? [])
  }
}

/** Options that configure caching, for the `why` explanation of a run that skipped it. */
export interface CacheOptions {
  readonly cache?: boolean
  readonly env?: ReadonlyArray<EnvItem>
  readonly cacheVersion?: string
  /**
   * What of the step's code its cache key covers. `"module"` (default): its own source, every
   * project file its module reaches through imports (a helper edited anywhere is a miss) and
   * the versions of the packages those import. `"function"`: only the function's own source.
   */
  readonly fingerprint?: FingerprintMode
}
