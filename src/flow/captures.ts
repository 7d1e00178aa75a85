/**
 * What a step's function captures from the code that made it: the variables of the functions
 * and blocks around its definition — a factory's arguments (`const filter = (min) => step("filter",
 * (t) => … min …)`), a loop's variable. The source text of two such steps is the same, so
 * without these values in the cache key `filter(10)` would hit the runs of `filter(1)`.
 *
 * JavaScript cannot list a closure's variables, but V8 can: an in-process inspector session
 * reads the function's `[[Scopes]]` (the same view as DevTools' "Closure" pane), which hold only
 * the variables some inner function uses. The module's top-level variables count too: its
 * source is in the code fingerprint, but not what `const lr = Number(process.argv[2])` or a
 * config file read at load made of it: the top-level variables the step's function (or a helper
 * its factory made) names, and the data the module's functions it calls read, however deep (a
 * project class's instance by its fields; a function a project factory made, by what it was
 * made with, read in its own scopes). A function it imports from a project module is read the
 * same way in that module (its `[[Scopes]]` hold that module's top level), found through the
 * import (`importOrigin`). The module's functions and imports are not keyed (their code is
 * fingerprinted: a module namespace, a bundler's import object, CommonJS'
 * `require`/`module`/`exports`), and a package's functions are not followed: their internal
 * state (a buffer pool, a cache) is no input of the step. On the way, the environment variables
 * and files the functions read by a literal name are noted.
 *
 * @module
 */
import { existsUntraced } from "../storage/ownWork.js"
import { Session } from "node:inspector"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { isPlainObject } from "../tracker/canonical.js"
import { IDENTIFIER } from "./identifier.js"
import { reachedFiles } from "./codeFingerprint.js"
import { importOrigin, type ImportOrigin } from "./importOrigin.js"
import { classDeclaration, moduleText } from "./moduleText.js"
import { laminaRoot, projectRootOf } from "./projectRoot.js"
import { pathsReadBy } from "./readPaths.js"
import { envVarsReadBy, globalsReadBy, readsArgv } from "./source.js"

/** Marks a function whose captures are another's (the Promise API's adapted body: its user's function). */
export const CAPTURES_OF: unique symbol = Symbol.for("lamina.capturesOf")

/** A step function's captured variables, innermost scope first, each name once; undefined when V8's view is unavailable. */
export type Captures = ReadonlyMap<string, unknown>

/** A captured variable's value itself (an object by reference) and the fields the step reads of it, if only those. */
export interface Captured {
  readonly value: unknown
  readonly fields?: ReadonlySet<string>
  /**
   * Set for a variable of another project module, reached through a function the step's module
   * imports (`util.ts`'s `let scale`, read by its `apply`): its name there and that module's file
   * (undefined when re-exports could not be followed to it).
   */
  readonly origin?: { readonly variable: string; readonly file: string | undefined }
  /**
   * Set for an instance of a class the project declares (`const model = new Model(config)`), or
   * for such a class itself (its static fields): its own fields are data, keyed but for those
   * the step writes (state it keeps).
   */
  readonly instance?: ProjectInstance
}

/** A project class's instance: the class's name and the fields the step writes. */
export interface ProjectInstance {
  readonly className: string
  readonly written: ReadonlySet<string>
}

/**
 * The form of a captured value its key is made of: a plain object read only through some fields,
 * just those; a project class's instance, its class and own fields (its methods read any of them).
 */
export const keyForm = (c: Captured): unknown =>
  c.instance === undefined
    ? projected(c.value, c.fields)
    : { class: c.instance.className, fields: Object.fromEntries(Object.entries(ownFields(c.value as object)).filter(([k]) => !c.instance!.written.has(k))) }

/**
 * A project class's instance's (or class's) own fields, `#private` ones included (`#w`): its
 * methods read them as they read the others. JavaScript cannot list private fields; the
 * inspector can, so they are read through it, for classes whose source declares some.
 */
export const ownFields = (value: object): Readonly<Record<string, unknown>> => ({ ...value, ...privateFields(value) })

/** `value`'s `#private` fields by name (`#w`), when its class declares some (read through the inspector); none otherwise. */
export const privateFields = (value: object): Readonly<Record<string, unknown>> => (hasPrivateFields(value) ? privateFieldsOf(value) : {})

const PRIVATE_NAME = /#[\p{ID_Start}$_]/u

const privateClasses = new WeakMap<object, boolean>()

/** Whether `value`'s class, or a class it extends, or `value` itself as a class, mentions a `#private` name. */
const hasPrivateFields = (value: object): boolean => {
  let known = privateClasses.get(value)
  if (known !== undefined) return known
  known = false
  for (let o: unknown = typeof value === "function" ? value : Object.getPrototypeOf(value); o !== null && o !== undefined && !known; o = Object.getPrototypeOf(o)) {
    const cls = typeof o === "function" ? o : (o as { readonly constructor?: unknown }).constructor
    if (typeof cls === "function" && cls !== Object && cls !== Function) known = PRIVATE_NAME.test(Function.prototype.toString.call(cls))
    if (typeof o === "function") break
  }
  privateClasses.set(value, known)
  return known
}

/** `value`'s private fields by name (`#w`), read through the inspector; none when it cannot be read. */
const privateFieldsOf = (value: object): Readonly<Record<string, unknown>> => {
  const s = connected()
  if (s === null) return {}
  try {
    const handle = remoteOf(s, value)
    if (handle.objectId === undefined) return {}
    const privates = post<{ readonly privateProperties?: ReadonlyArray<PropertyDescriptor> }>(s, "Runtime.getProperties", { objectId: handle.objectId, ownProperties: true }).privateProperties ?? []
    const got = valuesOf(s, handle.objectId, privates.map((p) => p.value))
    return Object.fromEntries(privates.map((p, i) => [p.name, got[i]]))
  } finally {
    post(s, "Runtime.releaseObjectGroup", { objectGroup: GROUP })
  }
}

interface RemoteObject {
  readonly type: string
  readonly subtype?: string
  readonly className?: string
  readonly value?: unknown
  readonly unserializableValue?: string
  readonly objectId?: string
  readonly description?: string
}
interface PropertyDescriptor {
  readonly name: string
  readonly value?: RemoteObject
  /** Set for a symbol-keyed property: the symbol. */
  readonly symbol?: RemoteObject
}

// The mark of the functions `step()` and `flow()` return (flow/wrap.ts' `Symbol.for("lamina/tracked")`).
const TRACKED = "Symbol(lamina/tracked)"

/** Whether the function `objectId` is a step or flow `step()`/`flow()` made: a call of it is a run of its own, keyed and checked by itself. */
const isTracked = (s: Session, objectId: string): boolean => propertiesOf(s, objectId).result.some((p) => p.symbol?.description === TRACKED)

const GROUP = "lamina-captures"
const SLOT = "__laminaCapturesSlot"

/** `value` as the inspector sees it (a handle in `GROUP`), handed over through a global slot. */
const remoteOf = (s: Session, value: unknown): RemoteObject => {
  const global = globalThis as Record<string, unknown>
  global[SLOT] = value
  try {
    return post<{ readonly result: RemoteObject }>(s, "Runtime.evaluate", { expression: `globalThis.${SLOT}`, objectGroup: GROUP }).result
  } finally {
    delete global[SLOT]
  }
}

/** The values `remotes` describe, themselves (not descriptions), handed back through the slot by a call on `objectId`. */
const valuesOf = (s: Session, objectId: string, remotes: ReadonlyArray<RemoteObject | undefined>): ReadonlyArray<unknown> => {
  if (remotes.length === 0) return []
  const global = globalThis as Record<string, unknown>
  try {
    post(s, "Runtime.callFunctionOn", {
      objectId,
      functionDeclaration: `function (...values) { globalThis.${SLOT} = values }`,
      arguments: remotes.map(argumentOf),
      objectGroup: GROUP
    })
    return global[SLOT] as ReadonlyArray<unknown>
  } finally {
    delete global[SLOT]
  }
}

// Kinds of scope that hold a function's own surroundings (`With` holds an arbitrary object: not read).
const INNER = new Set(["Closure", "Block", "Catch"])

/** A module's import plumbing, by name: CommonJS' wrapper arguments, vitest's and vite's import objects. */
const PLUMBING = /^(?:require|module|exports|__vi_import_\d+__|__vite_ssr_\w+__|__vi_ssr_\w+__)$/

/**
 * Data — a primitive, an array, a plain object, a Map or Set (a lookup table, a gene set), a date,
 * a pattern, an Arrow table — as opposed to code or what a package keeps as state (a client). A
 * Map or Set its module writes anywhere (`memo.set(…)`) is state too: a cache. A typed array is
 * not data here: a buffer a function fills by passing it on (`randomFillSync(pool)`) shows no
 * write (one the step names itself is keyed all the same).
 */
const isData = (v: RemoteObject | undefined): boolean =>
  v === undefined ||
  (v.type !== "object" && v.type !== "function" && v.type !== "symbol") ||
  (v.subtype !== undefined && DATA_SUBTYPES.has(v.subtype)) ||
  (v.subtype === undefined && (v.className === "Object" || ARROW_CLASSES.has(v.className ?? "")))

// Apache Arrow's tables and vectors: data, keyed by their content (flow/arrowContent.ts).
const ARROW_CLASSES = new Set(["Table", "RecordBatch", "Vector", "MemoizedVector"])

const isCollection = (v: RemoteObject | undefined): boolean => v?.subtype === "map" || v?.subtype === "set"

/**
 * `f` remembered per module and name: what a module's text says of a name is known once per
 * process (`moduleText` reads a file once), while a step whose module reassigns what it reads
 * has its surroundings read again at every call.
 */
const perModule = <A>(f: (file: string | undefined, name: string) => A) => {
  const known = new Map<string, A>()
  return (file: string | undefined, name: string): A => {
    const id = `${file ?? ""}\0${name}`
    if (!known.has(id)) known.set(id, f(file, name))
    return known.get(id)!
  }
}

/** Whether `file`'s text writes its variable `name` anywhere (an unreadable module: yes). */
const writtenInModule = perModule((file, name): boolean => {
  const text = file === undefined ? undefined : moduleText(file)
  return text === undefined || writesOf(text, name) !== undefined
})

// The inspector's subtypes of objects that hold data.
const DATA_SUBTYPES = new Set(["null", "array", "map", "set", "date", "regexp"])

/** The class of an instance (not a plain object, an array, a Map, a Date…: those have a subtype or are data), as the inspector names it. */
const instanceClass = (v: RemoteObject | undefined): string | undefined =>
  v?.type === "object" && v.subtype === undefined && v.className !== undefined && v.className !== "Object" && v.className !== "Module" ? v.className : undefined

/**
 * Whether the class `name` is the project's: declared in `file` (`class Model`) or imported from
 * a project module. A package's class (a pool, a client, a logger) keeps state, not inputs; so
 * does one a bundle holds under the heading of a package's or Lamina's file (esbuild's mark of
 * where its code came from: `// node_modules/…`, `// src/tracker/….ts`).
 */
const projectClass = perModule((file, name): boolean => {
  if (file === undefined) return false
  const from = importOrigin(file, name)
  if (from.kind !== "none") return from.kind === "project"
  const text = moduleText(file) ?? ""
  const at = classDeclaration([name]).exec(text)?.index
  return at !== undefined && projectRegion(text, at)
})

/**
 * Whether the code at `at` in a module's `text` is the project's: not under a bundle's heading
 * of a package's or Lamina's file (esbuild's mark of where its code came from: `// node_modules/…`,
 * `// src/tracker/….ts`). A module that is no bundle is all the project's.
 */
const projectRegion = (text: string, at: number): boolean => {
  const heading = /\n\/\/ (\S+)\n/g
  let region: string | undefined
  for (let m = heading.exec(text); m !== null && m.index < at; m = heading.exec(text)) region = m[1]
  return region === undefined || (!region.includes("node_modules/") && !laminaSource(path.join(laminaRoot, region)))
}

/** Whether `file` is one of Lamina's own source files (its tests and benchmarks are a project's code). */
const laminaSource = (file: string): boolean =>
  (file.startsWith(path.join(laminaRoot, "src") + path.sep) || file.startsWith(path.join(laminaRoot, "dist", "src") + path.sep)) && existsUntraced(file)

/** Whether the function with source `text` is a package's (or Lamina's) code that the bundle `file` holds. */
const bundledPackageCode = perModule((file, text): boolean => {
  const module = file === undefined ? undefined : moduleText(file)
  const at = module?.indexOf(text) ?? -1
  return at >= 0 && !projectRegion(module!, at)
})

/**
 * The class of `value` when it is an instance of a class the project's module `file` declares or
 * imports from a project module (`projectClass`); undefined for anything else, a package's
 * instance included. For an instance met inside a captured object (`{ model: new Model(w) }`).
 */
export const projectClassOf = (value: unknown, file: string | undefined): string | undefined => {
  if (typeof value !== "object" || value === null || isPlainObject(value)) return undefined
  const ctor = (Object.getPrototypeOf(value) as { readonly constructor?: unknown } | null)?.constructor
  if (typeof ctor !== "function" || ctor.name === "") return undefined
  if (projectClass(file, ctor.name)) return ctor.name
  const bound = classBindings.get(Function.prototype.toString.call(ctor))
  return bound !== undefined && projectClass(bound.file, bound.binding) ? ctor.name : undefined
}

/**
 * Classes a module binds under another name than their own (`import { Model as M }`; a bundle's
 * `var Model = class _Model`), by source, as the analysis of its functions met them: how an
 * instance's class is found among the module's bindings.
 */
const classBindings = new Map<string, { readonly file: string | undefined; readonly binding: string }>()

/** Note `value` as the module's binding `binding` when it is a class named otherwise. */
const noteClassBinding = (file: string | undefined, binding: string, value: RemoteObject | undefined): void => {
  const own = value?.description === undefined ? undefined : /^class\s+([\p{ID_Start}$_][\p{ID_Continue}$]*)/u.exec(value.description)?.[1]
  if (own !== undefined && own !== binding) classBindings.set(value!.description!, { file, binding })
}

/** A module namespace (`import * as x`): the inspector's class name for it. */
const isNamespace = (v: RemoteObject | undefined): boolean => v?.type === "object" && v.className === "Module"

let session: Session | undefined | null

let warned = false

/** Say once per process that captured variables are not keyed, and why. */
const cannotRead = (why: unknown): undefined => {
  if (!warned) {
    warned = true
    process.emitWarning(
      `Lamina cannot read the variables steps capture (${why instanceof Error ? why.message : String(why)}): a step a factory makes is keyed by its source and params only, so give each such step its own name or pass what differs as a param.`,
      { code: "LAMINA_CAPTURES" }
    )
  }
  return undefined
}

/** One session per process, connected on first use; null when this Node has no inspector. */
const connected = (): Session | null => {
  if (session !== undefined) return session
  try {
    const s = new Session()
    s.connect()
    session = s
  } catch (e) {
    cannotRead(e)
    session = null
  }
  return session
}

/** A protocol call; an in-process session answers synchronously, within `post`. */
const post = <A>(s: Session, method: string, params: object): A => {
  let answer: { readonly error: Error | null; readonly result: unknown } | undefined
  s.post(method, params, (error: Error | null, result: unknown) => void (answer = { error, result }))
  if (answer === undefined) throw new Error(`inspector ${method}: no synchronous answer`)
  if (answer.error !== null) throw answer.error
  return answer.result as A
}

const propertiesOf = (s: Session, objectId: string) =>
  post<{ readonly result: ReadonlyArray<PropertyDescriptor>; readonly internalProperties?: ReadonlyArray<PropertyDescriptor> }>(s, "Runtime.getProperties", {
    objectId,
    ownProperties: true
  })

const argumentOf = (v: RemoteObject | undefined): object =>
  v === undefined || v.type === "undefined"
    ? {}
    : v.objectId !== undefined
      ? { objectId: v.objectId }
      : v.unserializableValue !== undefined
        ? { unserializableValue: v.unserializableValue }
        : { value: v.value }

// Every pattern below is Unicode-aware, like JavaScript's own identifiers (`λ`, `größe`; flag `u`).
const WORD = new RegExp(IDENTIFIER, "gu")

/** The words of a function's source that could name a variable (strings and comments too: a few extra is harmless). */
const identifiersIn = (source: string): ReadonlySet<string> => new Set(source.match(WORD))

// Methods that change a collection in place.
const MUTATORS = "push|pop|shift|unshift|splice|sort|reverse|fill|set|add|delete|clear"

/**
 * `name` as a variable in source text: not a property of that name (`a.name`, `a?.name`), not part
 * of a longer word; spread (`...name`) is the variable, used whole.
 */
const variable = (name: string) => `(?<![\\p{ID_Continue}$])(?<!(?<!\\.\\.)\\.)${name.replace(/\$/g, "\\$")}(?![\\p{ID_Continue}$])`

// After a variable: `++`, `--`, `=` or a compound `op=` (not `==`, not `=>`).
const UPDATE = `\\+\\+|--|(?:[-+*/%&|^]|\\*\\*|<<|>>>?|&&|\\|\\||\\?\\?)?=(?![=>])`

// Fields after a variable: `.n`, `?.n`, `[key]`, any number of them.
const FIELDS = `(?:\\s*\\??\\.\\s*[\\p{ID_Continue}$]+|\\s*\\[[^\\]]*\\])*`

/**
 * What `source` writes of `name`: `"whole"` when it assigns it (`=`, `+=`, `++`; not in a
 * declaration), changes it in place (`name.push(…)`) or sets a computed field (`name[key] = …`);
 * the fields it sets when it only sets named ones (`name.n += …`, `name.list.push(…)`: `n`,
 * `list`); undefined when it writes none of it. A property of that name is not the variable.
 * Read as text, so a same-named variable elsewhere in `source` counts too (the safe side: such a
 * step reads its captures again at every call).
 */
export const writesOf = (source: string, name: string): ReadonlySet<string> | "whole" | undefined => {
  const at = variable(name)
  const write = new RegExp(`(?:\\+\\+|--)\\s*${at}(${FIELDS})|(?<!\\b(?:const|let|var)\\s+)${at}(${FIELDS})\\s*(?:${UPDATE}|\\.\\s*(?:${MUTATORS})\\s*\\()`, "gu")
  let fields: Set<string> | undefined
  for (const m of source.matchAll(write)) {
    const first = /^\s*\??\.\s*([\p{ID_Continue}$]+)/u.exec(m[1] ?? m[2] ?? "")
    if (first === null) return "whole"
    ;(fields ??= new Set()).add(first[1]!)
  }
  return fields
}


/**
 * The fields `name` is read through when every use of it in `sources` is `name.field` (or
 * `name?.field`); undefined when it is used whole anywhere (passed on, spread, indexed).
 */
const fieldsRead = (sources: ReadonlyArray<string>, name: string): ReadonlySet<string> | undefined => {
  const fields = new Set<string>()
  for (const source of sources)
    for (const m of source.matchAll(new RegExp(`${variable(name)}(\\s*\\??\\.\\s*(${IDENTIFIER}))?`, "gu"))) {
      if (m[2] === undefined) return undefined
      fields.add(m[2])
    }
  return fields
}

/** A plain object read only through some fields: just those fields (a config's other entries do not matter). */
const projected = (value: unknown, fields: ReadonlySet<string> | undefined): unknown => {
  if (fields === undefined || typeof value !== "object" || value === null || !isPlainObject(value)) return value
  return Object.fromEntries([...fields].sort().map((f) => [f, (value as Record<string, unknown>)[f]]))
}

/**
 * The variables `fn` captures from the functions and blocks it was defined in and from its
 * module's top level (imports aside), with their current values in key form; undefined when this
 * process cannot tell. `file`: the module defining `fn`, to follow the project functions it
 * imports into their modules.
 */
export const capturesOf = (fn: Function, file?: string): Captures | undefined => {
  const vars = surroundingsOf(fn, file)?.variables
  return vars === undefined ? undefined : new Map([...vars].map(([name, c]) => [name, keyForm(c)]))
}

/** A variable kept for the key: its value (remote), the fields its key is made of (undefined: all) and, for another module's, where it lives. */
interface Kept {
  readonly remote: RemoteObject | undefined
  readonly fields: ReadonlySet<string> | undefined
  readonly origin?: Origin
  readonly instance?: ProjectInstance
}

type Origin = NonNullable<Captured["origin"]>

/** What the functions read found so far read by name: environment variables, files, the command line, globals. */
interface Reads {
  readonly envVars: Set<string>
  readonly paths: Set<string>
  argv: boolean
  readonly globals: Set<string>
}

/** The global object's properties when Lamina loaded: the platform's (`process`, `fetch`, …), not the program's. */
const PLATFORM_GLOBALS: ReadonlySet<PropertyKey> = new Set(Reflect.ownKeys(globalThis))

/** Whether `name` is a property the program put on the global object (`globalThis.SETTINGS = …`). */
const isProgramGlobal = (name: string): boolean => Object.hasOwn(globalThis, name) && !PLATFORM_GLOBALS.has(name)

/** The module a function is analysed in: its file when known, and how its variables are named in the key. */
interface ModuleView {
  readonly file: string | undefined
  /** Another module than the step's: its top level is read for data only. */
  readonly imported: boolean
  /** A closure a project factory made: only its own scopes are read (its module's top level is the step's). */
  readonly closure?: boolean
  /** The key name of one of its variables (the step's module: the name itself). */
  readonly keyName: (variable: string) => string
  readonly origin: (variable: string) => Origin | undefined
}

/** What a bound function was bound to: its target and arguments (V8's internal properties); undefined for any other function. */
const boundOf = (s: Session, objectId: string): { readonly target: RemoteObject | undefined; readonly args: RemoteObject } | undefined => {
  const internal = propertiesOf(s, objectId).internalProperties ?? []
  const args = internal.find((p) => p.name === "[[BoundArgs]]")?.value
  return args === undefined ? undefined : { target: internal.find((p) => p.name === "[[TargetFunction]]")?.value, args }
}

// How far `functionsIn` looks: values visited, functions returned.
const DATA_WALK = 10_000
const DATA_FUNCTIONS = 64

/**
 * The functions held in the data `objectId` (a plain object, an array, a Map or Set, an instance's
 * own fields), through plain objects, arrays, Maps and Sets; getters are not called. A table too
 * large to walk (`DATA_WALK` values) is searched that far.
 */
const functionsIn = (s: Session, objectId: string): ReadonlyArray<RemoteObject> => {
  const { result: found } = post<{ readonly result: RemoteObject }>(s, "Runtime.callFunctionOn", {
    objectId,
    functionDeclaration: `function () {
      const found = [], seen = new Set(); let budget = ${DATA_WALK}
      const visit = (v, root) => {
        if (budget-- <= 0 || found.length >= ${DATA_FUNCTIONS}) return
        if (typeof v === "function") return void found.push(v)
        if (typeof v !== "object" || v === null || seen.has(v)) return
        seen.add(v)
        const each = (xs) => { for (const x of xs) { if (budget <= 0) break; visit(x, false) } }
        if (Array.isArray(v) || v instanceof Set) each(v)
        else if (v instanceof Map) each(v.values())
        else if (root || Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null)
          each(Object.values(Object.getOwnPropertyDescriptors(v)).flatMap((d) => ("value" in d ? [d.value] : [])))
      }
      visit(this, true)
      return found
    }`,
    objectGroup: GROUP
  })
  if (found.objectId === undefined) return []
  return propertiesOf(s, found.objectId).result.flatMap((p) => (p.value?.type === "function" ? [p.value] : []))
}

/** A project class's instance's class: its name, the module's binding of it, its constructor. */
interface ClassOf {
  readonly className: string
  readonly binding: string
  readonly ctor: RemoteObject | undefined
}

/** The constructor of the object `objectId` (a class: its whole source is its description). */
const constructorOf = (s: Session, objectId: string): RemoteObject | undefined =>
  post<{ readonly result: RemoteObject }>(s, "Runtime.callFunctionOn", {
    objectId,
    functionDeclaration: "function () { return Object.getPrototypeOf(this)?.constructor }",
    objectGroup: GROUP
  }).result

/** The scopes around a function: inner ones (closures, blocks), then its module's top level if seen. */
const scopesAround = (s: Session, objectId: string) => {
  const internal = propertiesOf(s, objectId).internalProperties
  const scopes = internal?.find((p) => p.name === "[[Scopes]]")?.value?.objectId
  // A bound or built-in function has no scopes of its own: nothing it captures is visible.
  if (scopes === undefined) return undefined
  // Descriptions: "Closure (make)", "Block", "Module", "Global"; the name is the function's.
  const chain = propertiesOf(s, scopes).result.flatMap((p) =>
    p.value?.objectId === undefined ? [] : [{ kind: (p.value.description ?? "").split(" ")[0]!, named: (p.value.description ?? "").includes("("), objectId: p.value.objectId }]
  )
  const inner = chain.filter((c) => INNER.has(c.kind))
  // Without a Module scope the module's top level may be an anonymous function or block around
  // everything (CommonJS' wrapper, vitest's): the outermost, when it has no name. (A module
  // with top-level await shows no scope of its own.)
  const top = chain.find((c) => c.kind === "Module") ?? (inner.at(-1)?.named === false ? inner.pop() : undefined)
  return { inner, top, script: scriptOf(internal) }
}

/** The script a function was written in (V8's `[[FunctionLocation]]`, from its internal properties). */
const scriptOf = (internal: ReadonlyArray<PropertyDescriptor> | undefined): string | undefined =>
  (internal?.find((p) => p.name === "[[FunctionLocation]]")?.value?.value as { readonly scriptId?: string } | undefined)?.scriptId

/**
 * Add to `kept` what the function `objectId` (source `text`) reads of its surroundings, and
 * through the project functions it imports, what they read of theirs (`seen`: functions already
 * read, by module and source).
 */
const readSurroundings = (
  s: Session,
  objectId: string,
  text: string,
  module: ModuleView,
  kept: Map<string, Kept>,
  seen: Set<string>,
  reads: Reads,
  also: ReadonlyArray<string> = []
): void => {
  const around = scopesAround(s, objectId)
  if (around === undefined) return
  const { inner, top, script } = around
  // A function found in data or bound is the module's own when it was written in the same script
  // (TypeScript under tsx runs another text than the file's), and not a package's code a bundle holds.
  const ownFunction = (f: RemoteObject): boolean =>
    f.objectId !== undefined && f.description !== undefined && script !== undefined && scriptOf(propertiesOf(s, f.objectId).internalProperties) === script && !bundledPackageCode(module.file, f.description)
  const names: Array<string> = []
  const values: Array<RemoteObject | undefined> = []
  // The module's functions: code (fingerprinted), never keyed themselves.
  const code = new Set<string>()
  const topNames = new Set<string>()
  // Namespace imports (`import * as util`): never keyed; the functions read of them are followed.
  const namespaces = new Map<string, string>()
  for (const scope of top === undefined ? inner : [...inner, top])
    for (const v of propertiesOf(s, scope.objectId).result) {
      // An inner scope's variable shadows an outer one of the same name.
      if (names.includes(v.name) || namespaces.has(v.name)) continue
      if (scope === top && isNamespace(v.value) && v.value?.objectId !== undefined) namespaces.set(v.name, v.value.objectId)
      if (scope === top && (PLUMBING.test(v.name) || isNamespace(v.value))) continue
      if (scope === top && v.value?.type === "function") {
        code.add(v.name)
        noteClassBinding(module.file, v.name, v.value)
      }
      if (scope === top) topNames.add(v.name)
      names.push(v.name)
      values.push(v.value)
    }
  // A scope holds every variable any function made in it uses: keep those the function names, and
  // those named by the functions of the scope it names (a helper the factory made), transitively,
  // except what they write (a counter, an accumulator): state they keep, not what they were made
  // with. Of a record they set some fields of (`stats.seen++`), the fields they only read are kept.
  // The module's functions it names are followed, transitively, for the module's plain data they
  // read (`const keep = (x) => x > threshold`), not for what it keeps as state (a pool, a client); a
  // function imported from a project module is read in its own module the same way. A package's
  // functions are not followed: their state (pools, caches, in-flight maps) is no input.
  const used = new Set<string>()
  const written = new Map<string, ReadonlySet<string> | "whole">()
  // A variable read only as `name.field` is keyed by those fields (below): where it is read, kept.
  const readIn = new Map<string, Array<string>>()
  // Project functions read in their own module (`view`: how its variables are named, when not by that module's file).
  const imported: Array<{ readonly name: string; readonly objectId: string; readonly text: string; readonly file: string | undefined; readonly view?: ModuleView }> = []
  // Module-level functions a project factory made (`const scorer = makeScorer(w)`): `w` is in their own scopes.
  const closures: Array<{ readonly name: string; readonly objectId: string; readonly text: string }> = []
  // The arguments of each bound function named (`const f = scale.bind(null, w)`).
  const boundArgs = new Map<string, RemoteObject>()
  // The sources of functions found in data, each read once as the module's.
  const followed = new Set<string>()
  // Each variable holding a project class's instance (data, unlike a package's): its class, and
  // the module's binding of that class (`M` for `import { Model as M }`) with its constructor.
  const instances = new Map<string, ClassOf | undefined>()
  const classOf = (value: RemoteObject | undefined): ClassOf | undefined => {
    const className = instanceClass(value)
    if (className === undefined || value?.objectId === undefined) return undefined
    const ctor = constructorOf(s, value.objectId)
    // Bound under another name than its own (an aliased import): the module's binding of it.
    const bound = ctor?.description === undefined ? undefined : classBindings.get(ctor.description)
    const binding = bound !== undefined && bound.file === module.file ? bound.binding : className
    return projectClass(module.file, binding) ? { className, binding, ctor } : undefined
  }
  const projectInstance = (name: string, value: RemoteObject | undefined): string | undefined => {
    if (!instances.has(name)) instances.set(name, classOf(value))
    return instances.get(name)?.className
  }
  const sources: Array<{ readonly text: string; readonly ofModule: boolean }> = [{ text, ofModule: false }, ...also.map((t) => ({ text: t, ofModule: true }))]
  // Where an import binding of the module comes from (none: no import, or the module is unknown).
  const originIn = (binding: string): ImportOrigin => (module.file === undefined ? { kind: "none" } : importOrigin(module.file, binding))
  const follow = (name: string, fn: RemoteObject, from: ImportOrigin) => {
    if (from.kind === "project" && fn.objectId !== undefined && fn.description !== undefined && !isTracked(s, fn.objectId))
      imported.push({ name, objectId: fn.objectId, text: fn.description, file: from.file })
  }
  // A class of this module is read as one of its functions; one imported from a project module, in that module.
  const followClass = ({ binding, ctor }: ClassOf) => {
    if (ctor?.type !== "function" || ctor.description === undefined) return
    const from = originIn(binding)
    if (from.kind === "none") sources.push({ text: ctor.description, ofModule: true })
    else follow(binding, ctor, from)
  }
  for (let source = sources.pop(); source !== undefined; source = sources.pop()) {
    // The environment variables and files it and the functions it calls read by name.
    for (const v of envVarsReadBy(source.text)) reads.envVars.add(v)
    for (const p of pathsReadBy(source.text)) reads.paths.add(p)
    reads.argv ||= readsArgv(source.text)
    for (const g of globalsReadBy(source.text)) reads.globals.add(g)
    for (const name of identifiersIn(source.text)) {
      // A global the program set, read by its bare name (`SETTINGS.scale`): keyed at each call.
      if (isProgramGlobal(name)) reads.globals.add(name)
      const ns = namespaces.get(name)
      if (ns !== undefined && module.file !== undefined) {
        const members = fieldsRead([source.text], name)
        if (members === undefined) continue
        for (const member of members) {
          const from = importOrigin(module.file, name, member)
          if (from.kind !== "project") continue
          // A namespace's exports are live bindings the inspector lists without values: read one.
          const { result: fn } = post<{ readonly result: RemoteObject }>(s, "Runtime.callFunctionOn", {
            objectId: ns,
            functionDeclaration: "function (member) { return this[member] }",
            arguments: [{ value: member }],
            objectGroup: GROUP
          })
          if (fn.type === "function") follow(`${name}.${member}`, fn, from)
        }
        continue
      }
      const i = names.indexOf(name)
      // Named only as a property (`settings.offset` beside a module's `let offset`): not that variable.
      if (i < 0 || !new RegExp(variable(name), "u").test(source.text)) continue
      // A module function sees the module's variables only. Those are read for data and functions
      // only, unless the step's own function names them (a client it uses enters by its class).
      if (source.ofModule && !topNames.has(name)) continue
      if ((source.ofModule || module.imported) && topNames.has(name) && !isData(values[i]) && !code.has(name) && projectInstance(name, values[i]) === undefined) continue
      // A Map or Set its module fills anywhere (`inFlight.set(…)` in a function the step does not call) is state.
      if ((source.ofModule || module.imported) && topNames.has(name) && isCollection(values[i]) && writtenInModule(module.file, name)) continue
      const w = writesOf(source.text, name)
      const before = written.get(name)
      if (w !== undefined) written.set(name, w === "whole" || before === "whole" ? "whole" : new Set([...(before ?? []), ...w]))
      readIn.set(name, [...(readIn.get(name) ?? []), source.text])
      if (used.has(name)) continue
      used.add(name)
      // A project class's methods read the module's data as its functions do (`predict(x) { return x * W }`): its source is followed.
      if (projectInstance(name, values[i]) !== undefined) followClass(instances.get(name)!)
      // Functions kept in data (`const ops = { scale: (x) => x * W }`, a Map of them, an instance's
      // field) read the module's data, and their own scopes, as its functions do.
      const holder = values[i]
      if (holder?.objectId !== undefined && (isData(holder) || instances.get(name) !== undefined)) {
        const found = functionsIn(s, holder.objectId)
        found.forEach((f, k) => {
          if (f.objectId === undefined || f.description === undefined) return
          // Each function's own scopes under its own name (`w (models[1])`): two made alike keep apart.
          const label = found.length === 1 ? name : `${name}[${k}]`
          if (ownFunction(f)) {
            if (!followed.has(f.description)) sources.push({ text: f.description, ofModule: true })
            followed.add(f.description)
            closures.push({ name: label, objectId: f.objectId, text: f.description })
            return
          }
          // Another module's: a function the module imported (`{ scale }`), read in its module;
          // or one a project factory there made (`createModel(w)`), read there with its own scopes.
          const binding = names.find((n, j) => code.has(n) && values[j]?.description === f.description && originIn(n).kind === "project")
          if (binding !== undefined) return follow(binding, f, originIn(binding))
          // Made by a factory of another project module: the module the holder's factory is in, or
          // the project file its module reaches whose text holds the function (`[createModel(1), …]`).
          const maker = madeByProject(module.file, name)?.file ?? projectFileWriting(module.file, f.description)
          if (maker !== undefined && maker !== module.file)
            imported.push({ name: label, objectId: f.objectId, text: f.description, file: maker, view: madeIn(maker, module.keyName(label)) })
        })
      }
      const fn = values[i]?.type === "function" ? values[i] : undefined
      if (fn?.description === undefined) continue
      // A bound function (`scale.bind(null, w)`): its arguments are data, its target is followed.
      const bound = fn.objectId !== undefined && fn.description.endsWith("[native code] }") ? boundOf(s, fn.objectId) : undefined
      if (bound !== undefined) {
        boundArgs.set(name, bound.args)
        if (bound.target?.description !== undefined && bound.target.objectId !== undefined && ownFunction(bound.target)) {
          sources.push({ text: bound.target.description, ofModule: source.ofModule || code.has(name) })
          closures.push({ name, objectId: bound.target.objectId, text: bound.target.description })
        }
        continue
      }
      if (!code.has(name)) {
        if (!source.ofModule) sources.push({ text: fn.description, ofModule: false })
        continue
      }
      const from = originIn(name)
      if (from.kind === "none") {
        if (bundledPackageCode(module.file, fn.description)) continue
        sources.push({ text: fn.description, ofModule: true })
        if (fn.objectId !== undefined && madeByProject(module.file, name) !== undefined) closures.push({ name, objectId: fn.objectId, text: fn.description })
      } else follow(name, fn, from)
    }
  }
  // Each kept variable with the fields its key is made of (undefined: all of it).
  names.forEach((name, i) => {
    if (!used.has(name) || (module.closure === true && topNames.has(name))) return
    const args = boundArgs.get(name)
    if (args !== undefined) {
      const origin = module.origin(name)
      kept.set(module.keyName(name), { remote: args, fields: undefined, ...(origin !== undefined ? { origin } : {}) })
      return
    }
    if (code.has(name)) {
      // A project's class: its static fields (`Config.threshold`) are data, as an instance's
      // fields are, but those the functions write; its code is fingerprinted.
      const w = written.get(name)
      const cls = values[i]?.description
      if (cls?.startsWith("class") === true && w !== "whole" && originIn(name).kind !== "package" && !bundledPackageCode(module.file, cls)) {
        const origin = module.origin(name)
        const instance = { className: `class ${name}`, written: new Set(w ?? []) }
        kept.set(module.keyName(name), { remote: values[i], fields: undefined, instance, ...(origin !== undefined ? { origin } : {}) })
      }
      return
    }
    const read = fieldsRead(readIn.get(name) ?? [], name)
    const w = written.get(name)
    const key = module.keyName(name)
    const origin = module.origin(name)
    const className = projectInstance(name, values[i])
    if (className !== undefined) {
      // Its methods may read any field: all are keyed, but those the functions write.
      if (w === "whole") return
      const state = new Set([...(kept.get(key)?.instance?.written ?? []), ...(w ?? [])])
      kept.set(key, { remote: values[i], fields: undefined, instance: { className, written: state }, ...(origin !== undefined ? { origin } : {}) })
      return
    }
    let fields: ReadonlySet<string> | undefined = read
    if (w !== undefined) {
      if (w === "whole" || read === undefined) return
      fields = new Set([...read].filter((f) => !w.has(f)))
      if (fields.size === 0) return
    }
    const before = kept.get(key)
    // Read by two functions: the fields either reads (all of it if either reads it whole).
    if (before !== undefined) fields = before.fields === undefined || fields === undefined ? undefined : new Set([...before.fields, ...fields])
    kept.set(key, { remote: values[i], fields, ...(origin !== undefined ? { origin } : {}) })
  })
  for (const f of imported) {
    const id = `${f.file ?? f.name}\0${f.view === undefined ? "" : f.name}\0${f.text}`
    if (seen.has(id)) continue
    seen.add(id)
    readSurroundings(s, f.objectId, f.text, f.view ?? importedModule(f.file, f.name), kept, seen, reads)
  }
  for (const c of closures) {
    const id = `closure\0${module.file ?? ""}\0${c.name}\0${c.text}`
    if (seen.has(id)) continue
    seen.add(id)
    readSurroundings(s, c.objectId, c.text, closureOf(module, c.name), kept, seen, reads)
  }
}

/** How the variables a module-level closure keeps are named in the key: `w (scorer)`. */
const closureOf = (module: ModuleView, name: string): ModuleView => ({
  file: module.file,
  imported: true,
  closure: true,
  keyName: (v) => `${v} (${module.keyName(name)})`,
  origin: (v) => ({ variable: v, file: module.file })
})

/**
 * Where the project function is that `file` sets its top-level `name` to the result of (`const scorer =
 * makeScorer(…)`, `= util.make(…)`, `= await load(…)`, a function expression called in place): a
 * function declared in the module (its file) or imported from a project module (that module's
 * file, undefined when re-exports could not be followed); undefined for anything else: a
 * package's factory (a limiter, a logger) keeps state.
 */
const madeByProject = perModule((file, name): { readonly file: string | undefined } | undefined => {
  const text = file === undefined ? undefined : moduleText(file)
  if (file === undefined || text === undefined) return undefined
  const here = { file }
  const declared = `(?:const|let|var)\\s+${name.replace(/\$/g, "\\$")}\\s*=\\s*(?:await\\s+)?`
  // A function expression called where it is written (`= (() => { const w = …; return (x) => … })()`): the module's own.
  if (new RegExp(`${declared}\\(\\s*(?:async\\s*)?(?:function(?![\\p{ID_Continue}$])|\\([^()]*\\)\\s*=>|${IDENTIFIER}\\s*=>)`, "u").test(text)) return here
  const made = new RegExp(`${declared}(${IDENTIFIER})(?:\\s*\\.\\s*(${IDENTIFIER}))?\\s*\\(`, "u").exec(text)
  if (made === null) return undefined
  const [, callee, member] = made
  const from = importOrigin(file, callee!, member)
  if (from.kind !== "none") return from.kind === "project" ? { file: from.file } : undefined
  const local = member === undefined && new RegExp(`(?:function\\s*\\*?\\s*|(?:const|let|var)\\s+)${callee!.replace(/\$/g, "\\$")}(?![\\p{ID_Continue}$])`, "u").test(text)
  return local ? here : undefined
})

/**
 * The project file, among those `file` reaches through imports, whose text holds the function
 * source `text` (not Lamina's own): where a function found in data was written. Compiled
 * JavaScript only (under tsx the running text is not the file's).
 */
const projectFileWriting = perModule((file, text): string | undefined =>
  file === undefined ? undefined : reachedBy(file).find((f) => f !== file && !laminaSource(f) && moduleText(f)?.includes(text) === true)
)

// The files each module reaches, walked once per process (as its text is read once).
const reached = new Map<string, ReadonlyArray<string>>()
const reachedBy = (file: string): ReadonlyArray<string> => {
  let files = reached.get(file)
  if (files === undefined) reached.set(file, (files = reachedFiles(file)))
  return files
}

/** How the variables of a function another project module's factory made are named in the key: by what holds it, `w (created)`. */
const madeIn = (file: string | undefined, holder: string): ModuleView => ({
  file,
  imported: true,
  keyName: (v) => `${v} (${holder})`,
  origin: (v) => ({ variable: v, file })
})

/** How an imported project module's variables are named in the key: `scale (src/util.ts)`, or by the function reaching them when its file is unknown. */
const importedModule = (file: string | undefined, via: string): ModuleView => {
  const where = file === undefined ? `via ${via}` : path.relative(projectRootOf(file), file).split(path.sep).join("/")
  return { file, imported: true, keyName: (v) => `${v} (${where})`, origin: (v) => ({ variable: v, file }) }
}

const STEP_MODULE = (file: string | undefined): ModuleView => ({ file, imported: false, keyName: (v) => v, origin: () => undefined })

/** What a step's function reads of its surroundings (flow/captures.ts). */
export interface Surroundings {
  /** Its captured variables, each as it is (an object by reference, so it can be read again), with the fields read of it and, for another module's, where it lives. */
  readonly variables: ReadonlyMap<string, Captured>
  /** The environment variables it and the functions it calls read by name (`process.env.NAME` in a helper). */
  readonly envVars: ReadonlyArray<string>
  /** The files it and the functions it calls read by a literal name (flow/readPaths.ts). */
  readonly readPaths: ReadonlyArray<string>
  /** Whether it or a function it calls reads `process.argv`. */
  readonly argv: boolean
  /** The properties of the global object it and the functions it calls read by name (`globalThis.SETTINGS`, or `SETTINGS` set there). */
  readonly globals: ReadonlyArray<string>
}

// The script this module was loaded from, by the inspector's id (null: not known).
let ownScript: string | null | undefined

/**
 * The bundle that holds both Lamina and the step whose function is `objectId` (its file, from
 * this module's own URL), when the function was written in the same script as this module; no
 * stack frame tells such a step's module (they are all Lamina's), but its text does, and its
 * headings tell the project's code from the packages' and Lamina's (`projectRegion`).
 */
const bundleHolding = (s: Session, objectId: string): string | undefined => {
  if (ownScript === undefined) {
    const own = remoteOf(s, surroundingsOf)
    ownScript = own.objectId === undefined ? null : (scriptOf(propertiesOf(s, own.objectId).internalProperties) ?? null)
  }
  const script = scriptOf(propertiesOf(s, objectId).internalProperties)
  return ownScript !== null && script === ownScript ? fileURLToPath(import.meta.url) : undefined
}

/** What `fn` reads of its surroundings: `capturesOf` with the values as they are, and the environment variables and files it and its helpers read by name; undefined when this process cannot tell. */
export const surroundingsOf = (fn: Function, file?: string, receiverClass?: Function): Surroundings | undefined => {
  const target = (fn as unknown as { readonly [CAPTURES_OF]?: Function })[CAPTURES_OF] ?? fn
  const s = connected()
  if (s === null) return undefined
  try {
    const handle = remoteOf(s, target)
    if (handle.objectId === undefined) return cannotRead("the inspector did not hand back the step's function")
    const kept = new Map<string, Kept>()
    const reads: Reads = { envVars: new Set(), paths: new Set(), argv: false, globals: new Set() }
    // A method step's class: the methods it calls through `this` read the module as its functions do.
    const also = receiverClass === undefined ? [] : [Function.prototype.toString.call(receiverClass)]
    readSurroundings(s, handle.objectId, target.toString(), STEP_MODULE(file ?? bundleHolding(s, handle.objectId)), kept, new Set(), reads, also)
    const entries = [...kept]
    const got = valuesOf(s, handle.objectId, entries.map(([, k]) => k.remote))
    const variables = new Map(
      entries.flatMap(([name, k], at): ReadonlyArray<[string, Captured]> =>
        // A class without static fields: nothing but code, which the fingerprint covers.
        k.instance !== undefined && typeof got[at] === "function" && Object.keys(got[at] as object).length === 0
          ? []
          : [
              [
                name,
                {
                  value: got[at],
                  ...(k.fields !== undefined ? { fields: k.fields } : {}),
                  ...(k.origin !== undefined ? { origin: k.origin } : {}),
                  ...(k.instance !== undefined ? { instance: k.instance } : {})
                }
              ]
            ]
      )
    )
    return { variables, envVars: [...reads.envVars], readPaths: [...reads.paths], argv: reads.argv, globals: [...reads.globals] }
  } catch (e) {
    return cannotRead(e)
  } finally {
    try {
      post(s, "Runtime.releaseObjectGroup", { objectGroup: GROUP })
    } catch {
      // Nothing held.
    }
  }
}
