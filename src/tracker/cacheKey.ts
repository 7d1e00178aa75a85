/**
 * Cache keys. A step's outputs are reused when everything they depend on is unchanged:
 *
 *   key = hash(transform key, source hash, code fingerprint (the project files and packages the
 *              step's module reaches), result schema, canonical params (with the variables the
 *              step captured, `captured:<name>`), input artifact hashes in argument order,
 *              declared environment fingerprint, optional cache version, the hashes of the
 *              step's boundary schemas (src/curate/boundary.ts))
 *
 * The components are stored on the run (`_cache_parts`) so `Run.why` can say which one
 * changed. Secret params enter the key but are stored redacted.
 *
 * @module
 */
import { hashString } from "../storage/hash.js"
import { canonicalJson, type Json } from "./canonical.js"
import { CAPTURED, type KeyFile, type KeyPath } from "./fileParams.js"
import { withMaker, type StoredQuery } from "./queries.js"

/** An input artifact in the key: where it was passed and its content hash. */
export interface KeyInput {
  readonly param: string
  readonly uid: string
  readonly hash: string
}

/** An artifact the run loaded inside its body (not passed in): checked again on a hit. */
export interface LoadedInput {
  readonly id: number
  readonly uid: string
  readonly hash: string | null
}

/**
 * What a hit checks again beyond its key: the artifacts and collections a body loaded, the
 * registry queries it ran and the files its params named. A step called inside another step passes its own on to it (the
 * outer step's hit does not call it), as `CacheParts.nested`.
 */
export interface Rechecked {
  readonly loaded: ReadonlyArray<LoadedInput>
  readonly collections: ReadonlyArray<number>
  readonly queries: ReadonlyArray<StoredQuery>
  /** Files its params named (fileParams.ts). */
  readonly files: ReadonlyArray<KeyFile>
}

/** What run `runId` checks (`own`) and what the steps it called check (`nested`), as passed on to its caller. */
export const recheckedOf = (own: Rechecked, nested: Rechecked | undefined, runId: number): Rechecked | undefined => {
  // The common case (every hit of a step that read nothing), without allocating.
  if (nested === undefined && own.loaded.length === 0 && own.collections.length === 0 && own.queries.length === 0 && own.files.length === 0) return undefined
  const all: Rechecked = {
    loaded: [...own.loaded, ...(nested?.loaded ?? []).filter((l) => !own.loaded.some((o) => o.id === l.id))],
    collections: [...new Set([...own.collections, ...(nested?.collections ?? [])])],
    queries: [...withMaker(own.queries, runId), ...(nested?.queries ?? [])],
    files: [...own.files, ...(nested?.files ?? [])]
  }
  return all.loaded.length === 0 && all.collections.length === 0 && all.queries.length === 0 && all.files.length === 0 ? undefined : all
}

/** What a cache key is computed from: canonical values, before any hashing. */
export interface KeyMaterial {
  readonly transform: string
  /** Source hash of the step's code. */
  readonly source: string
  /** Hash of what the step's module reaches (absent with `fingerprint: "function"`). */
  readonly code?: string
  /** Hash of the step's `result` schema, if it has one. */
  readonly result?: string
  /** Per param: its canonical value (artifacts by content hash). */
  readonly params: Readonly<Record<string, Json>>
  /** Names of params whose values are secrets. */
  readonly secrets: ReadonlyArray<string>
  readonly inputs: ReadonlyArray<KeyInput>
  /** Param strings that look like local paths (not in the key: the files they name are checked on a hit, fileParams.ts). */
  readonly paths?: ReadonlyArray<KeyPath>
  /** Declared environment items and their values. */
  readonly env: Readonly<Record<string, string>>
  /** A user-chosen cache version (`cacheVersion` option): bump it to invalidate. */
  readonly version?: string
  /** Boundary schema hashes (`input:<argument>`, `output`), when the step declares boundaries. */
  readonly schemas?: Readonly<Record<string, string>>
}

/** The key's components as stored on a run (`_cache_parts`), for `Run.why`. */
export interface CacheParts {
  readonly transform: string
  readonly source: string
  /** Code fingerprint hash: its files and packages are kept once in `lamina_code_fingerprint`. */
  readonly code?: string
  readonly result?: string
  /** Per param: hash of its canonical value; `redacted` for secrets. */
  readonly params: Readonly<Record<string, string>>
  readonly secrets?: ReadonlyArray<string>
  readonly inputs: ReadonlyArray<KeyInput>
  /** Param strings that look like local paths, from the call (the run's end turns them into `files`). */
  readonly paths?: ReadonlyArray<KeyPath>
  readonly env: Readonly<Record<string, string>>
  readonly version?: string
  readonly schemas?: Readonly<Record<string, string>>
  /** Filled in after execution: artifacts loaded inside the body. */
  readonly loaded?: ReadonlyArray<LoadedInput>
  /** Filled in after execution: ids of collections loaded inside the body (checked again on a hit). */
  readonly collections?: ReadonlyArray<number>
  /** Filled in after execution: registry queries the body ran (run again on a hit, tracker/queries.ts). */
  readonly queries?: ReadonlyArray<StoredQuery>
  /** Filled in after execution: the files param strings named when the run ended (checked again on a hit). */
  readonly files?: ReadonlyArray<KeyFile>
  /** Filled in after execution: what the steps its body called checked again (their queries name their own makers). */
  readonly nested?: Rechecked
  /** Filled in after execution: ids of the artifacts the run created. */
  readonly created?: ReadonlyArray<number>
  /** Filled in after execution: ids of existing artifacts the run saved again (recreated). */
  readonly recreated?: ReadonlyArray<number>
  /** When a run with this key existed but could not be reused: which, and why. */
  readonly refused?: { readonly run: string; readonly reason: string; readonly read?: true }
}

/** The name of the key change "code the step's module reaches changed", before `why` details it. */
export const REACH = "<reach>"

/** Redacted marker for stored secret param hashes. */
export const SECRET_HASH = "redacted"

const str = JSON.stringify

/**
 * The cache key: one hash over the canonical text of all components (one md5 per call), i.e.
 * `canonicalJson({ transform, source, code?, result?, params, inputs: [{ param, hash }], env,
 * version?, schemas? })`. Written out with its keys in sorted order (the same text: keys must
 * not change between versions) instead of building and sorting that object on every call.
 */
export const cacheKeyOf = (m: KeyMaterial): string => {
  let text = m.code !== undefined ? `{"code":${str(m.code)},` : "{"
  text += `"env":${canonicalJson(m.env)},"inputs":[`
  // Content, not identity: an input enters the key by where it was passed and its hash.
  for (let k = 0; k < m.inputs.length; k++) text += `${k > 0 ? "," : ""}{"hash":${str(m.inputs[k]!.hash)},"param":${str(m.inputs[k]!.param)}}`
  text += `],"params":${canonicalJson(m.params)},`
  if (m.result !== undefined) text += `"result":${str(m.result)},`
  if (m.schemas !== undefined) text += `"schemas":${canonicalJson(m.schemas)},`
  text += `"source":${str(m.source)},"transform":${str(m.transform)}`
  if (m.version !== undefined) text += `,"version":${str(m.version)}`
  return hashString(text + "}")
}

/** The stored form of key material: per-param hashes, secrets redacted (computed on a miss only). */
export const partsOf = (m: KeyMaterial): CacheParts => {
  const secrets = new Set(m.secrets)
  const params: Record<string, string> = {}
  for (const [name, value] of Object.entries(m.params)) params[name] = secrets.has(name) ? SECRET_HASH : hashString(canonicalJson(value))
  return {
    transform: m.transform,
    source: m.source,
    ...(m.code !== undefined ? { code: m.code } : {}),
    ...(m.result !== undefined ? { result: m.result } : {}),
    params,
    ...(m.secrets.length > 0 ? { secrets: m.secrets } : {}),
    inputs: m.inputs,
    ...(m.paths !== undefined ? { paths: m.paths } : {}),
    env: m.env,
    ...(m.version !== undefined ? { version: m.version } : {}),
    ...(m.schemas !== undefined ? { schemas: m.schemas } : {})
  }
}

/** One difference between two cache keys. */
export interface KeyChange {
  readonly component: "transform" | "code" | "package" | "result" | "param" | "captured" | "input" | "env" | "version" | "schema"
  /** The file, package, param, input param or environment item that changed. */
  readonly name?: string
  readonly before?: string
  readonly after?: string
  readonly detail: string
}

const diffRecord = (
  component: KeyChange["component"],
  before: Readonly<Record<string, string>>,
  after: Readonly<Record<string, string>>,
  label: string
): Array<KeyChange> => {
  const changes: Array<KeyChange> = []
  for (const name of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()) {
    const b = before[name]
    const a = after[name]
    if (b === a) continue
    if (b === undefined) changes.push({ component, name, after: a!, detail: `${label} '${name}' was added` })
    else if (a === undefined) changes.push({ component, name, before: b, detail: `${label} '${name}' was removed` })
    else if (a === SECRET_HASH && b === SECRET_HASH) continue
    else changes.push({ component, name, before: b, after: a, detail: `${label} '${name}' changed` })
  }
  return changes
}

/** A key's params apart from its captured variables (by their own names). */
const splitCaptured = (params: Readonly<Record<string, string>>): readonly [Record<string, string>, Record<string, string>] => {
  const own: Record<string, string> = {}
  const captured: Record<string, string> = {}
  for (const [name, hash] of Object.entries(params))
    if (name.startsWith(CAPTURED)) captured[name.slice(CAPTURED.length)] = hash
    else own[name] = hash
  return [own, captured]
}

/**
 * What differs between an earlier run's key parts and a later one's. When the stored parts
 * are equal but the keys differ, a secret param changed (its hash is not stored).
 */
export const diffParts = (before: CacheParts, after: CacheParts, keysDiffer: boolean): ReadonlyArray<KeyChange> => {
  const changes: Array<KeyChange> = []
  if (before.transform !== after.transform)
    changes.push({ component: "transform", before: before.transform, after: after.transform, detail: "the step's key changed" })
  if (before.source !== after.source) changes.push({ component: "code", before: before.source, after: after.source, detail: "the step's source code changed" })
  if ((before.code ?? "") !== (after.code ?? ""))
    changes.push({
      component: "code",
      name: REACH,
      before: before.code ?? "",
      after: after.code ?? "",
      detail:
        before.code === undefined || after.code === undefined
          ? `the step's fingerprint mode changed (${before.code === undefined ? "function → module" : "module → function"})`
          : "code the step's module imports changed"
    })
  if ((before.result ?? "") !== (after.result ?? ""))
    changes.push({
      component: "result",
      before: before.result ?? "",
      after: after.result ?? "",
      detail: before.result === undefined ? "a result schema was added" : after.result === undefined ? "the result schema was removed" : "the step's result schema changed"
    })
  const [paramsBefore, capturedBefore] = splitCaptured(before.params)
  const [paramsAfter, capturedAfter] = splitCaptured(after.params)
  changes.push(...diffRecord("param", paramsBefore, paramsAfter, "param"))
  changes.push(...diffRecord("captured", capturedBefore, capturedAfter, "captured variable"))
  const inputsBefore = Object.fromEntries(before.inputs.map((i) => [i.param, i.hash]))
  const inputsAfter = Object.fromEntries(after.inputs.map((i) => [i.param, i.hash]))
  for (const c of diffRecord("input", inputsBefore, inputsAfter, "input")) {
    const b = before.inputs.find((i) => i.param === c.name)
    const a = after.inputs.find((i) => i.param === c.name)
    changes.push({
      ...c,
      detail:
        b && a
          ? `input '${c.name}' has different content (artifact ${b.uid} → ${a.uid})`
          : c.detail.replace("input", "input artifact")
    })
  }
  changes.push(...diffRecord("env", before.env, after.env, "environment item"))
  if ((before.version ?? "") !== (after.version ?? ""))
    changes.push({ component: "version", before: before.version ?? "", after: after.version ?? "", detail: "the cache version changed" })
  for (const c of diffRecord("schema", before.schemas ?? {}, after.schemas ?? {}, "schema")) {
    const where = c.name === "output" ? "the output" : `input '${(c.name ?? "").replace(/^input:/, "")}'`
    const what = c.before === undefined ? "was added" : c.after === undefined ? "was removed" : `changed (hash ${c.before} → ${c.after})`
    changes.push({ ...c, detail: `the schema of ${where} ${what}` })
  }
  if (changes.length === 0 && keysDiffer) {
    const secrets = [...new Set([...(before.secrets ?? []), ...(after.secrets ?? [])])]
    if (secrets.length > 0)
      changes.push({ component: "param", name: secrets.join(", "), detail: `a secret param (${secrets.join(", ")}) changed; its value is redacted` })
  }
  return changes
}

/** Parse stored parts (from the registry's JSON), or undefined when absent or malformed. */
export const parseParts = (json: unknown): CacheParts | undefined => {
  if (typeof json !== "object" || json === null) return undefined
  const p = json as Partial<CacheParts>
  if (typeof p.transform !== "string" || typeof p.source !== "string" || typeof p.params !== "object" || !Array.isArray(p.inputs) || typeof p.env !== "object")
    return undefined
  return p as CacheParts
}
