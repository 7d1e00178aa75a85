/**
 * Feature dtypes, LaminDB's spelling: `int`, `float`, `num`, `str`, `bool`, `date`, `datetime`,
 * `dict`, `path`, `url`, `list[<dtype>]`, and categoricals — `cat` (any label), `cat[ULabel]`,
 * `cat[Record]`, `cat[Record[Sample]]` (records of the type named Sample), unions such as
 * `cat[ULabel|Record[Sample]]`. Parsing, canonical text, value inference and the value checks
 * `features.add` applies (with `coerce`: numbers in strings, date strings).
 *
 * @module
 */
import { InvalidArgument, ValidationError } from "../../errors.js"

/** Scalar dtype names. */
export const SCALAR_DTYPES = ["int", "float", "num", "str", "bool", "date", "datetime", "dict", "path", "url"] as const

/** A scalar dtype name. */
export type ScalarDtype = (typeof SCALAR_DTYPES)[number]

/** Registries a categorical feature can draw its values from. */
export const LABEL_REGISTRIES = ["ULabel", "Record"] as const

/** A registry of categorical values. */
export type LabelRegistry = (typeof LABEL_REGISTRIES)[number]

/** One registry of a categorical dtype, optionally restricted to records of a type (`Record[Sample]`). */
export interface CatTarget {
  readonly registry: LabelRegistry
  readonly type?: string
}

/** A parsed dtype. */
export type Dtype =
  | { readonly _tag: "Scalar"; readonly name: ScalarDtype }
  | { readonly _tag: "List"; readonly item: Dtype }
  | { readonly _tag: "Cat"; readonly targets: ReadonlyArray<CatTarget> }

const TARGET = /^(ULabel|Record)(?:\[([^[\]|]+)\])?$/

/** Parse a dtype; `InvalidArgument` naming the accepted spellings otherwise. */
export const parseDtype = (text: string): Dtype => {
  const t = text.trim()
  if ((SCALAR_DTYPES as ReadonlyArray<string>).includes(t)) return { _tag: "Scalar", name: t as ScalarDtype }
  if (t.startsWith("list[") && t.endsWith("]")) return { _tag: "List", item: parseDtype(t.slice(5, -1)) }
  if (t === "cat") return { _tag: "Cat", targets: LABEL_REGISTRIES.map((registry) => ({ registry })) }
  if (t.startsWith("cat[") && t.endsWith("]")) {
    const targets = t
      .slice(4, -1)
      .split("|")
      .map((part): CatTarget => {
        const m = TARGET.exec(part.trim())
        if (m === null)
          throw new InvalidArgument({
            message: `dtype '${text}': '${part.trim()}' is not a categorical registry. Use ULabel, Record or Record[<type name>], e.g. 'cat[ULabel|Record[Sample]]'.`
          })
        return m[2] === undefined ? { registry: m[1] as LabelRegistry } : { registry: m[1] as LabelRegistry, type: m[2].trim() }
      })
    return { _tag: "Cat", targets }
  }
  throw new InvalidArgument({
    message: `Invalid dtype '${text}'. Use one of ${SCALAR_DTYPES.join(", ")}, list[<dtype>], cat, cat[ULabel], cat[Record], cat[Record[<type>]] or a union like cat[ULabel|Record].`
  })
}

/** The canonical text of a dtype (what the registry stores). */
export const dtypeText = (d: Dtype): string => {
  switch (d._tag) {
    case "Scalar":
      return d.name
    case "List":
      return `list[${dtypeText(d.item)}]`
    case "Cat":
      return `cat[${d.targets.map((t) => (t.type === undefined ? t.registry : `${t.registry}[${t.type}]`)).join("|")}]`
  }
}

/** True for categorical dtypes (also `list[cat[...]]`). */
export const categoricalOf = (d: Dtype): ReadonlyArray<CatTarget> | undefined =>
  d._tag === "Cat" ? d.targets : d._tag === "List" ? categoricalOf(d.item) : undefined

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/
const ISO_DATETIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/

const typeName = (v: unknown): string =>
  v === null ? "null" : Array.isArray(v) ? "list" : v instanceof Date ? "datetime" : typeof v === "number" ? (Number.isInteger(v) ? "int" : "float") : typeof v === "string" ? "str" : typeof v === "boolean" ? "bool" : typeof v === "object" ? "dict" : typeof v

/** LaminDB's dtype inference for a value of an unknown feature (used in the hint to create it). */
export const inferDtype = (v: unknown): string => {
  if (typeof v === "boolean") return "bool"
  if (typeof v === "number") return Number.isInteger(v) ? "int" : "float"
  if (v instanceof Date) return "datetime"
  if (typeof v === "string") return ISO_DATE.test(v) ? "date" : ISO_DATETIME.test(v) ? "datetime" : "cat ? str"
  if (Array.isArray(v)) return v.length === 0 ? "list[str]" : `list[${inferDtype(v[0]).replace("cat ? str", "str")}]`
  if (v !== null && typeof v === "object") return "dict"
  return "str"
}

const isoDate = (d: Date): string => d.toISOString().slice(0, 10)

const mismatch = (feature: string, dtype: string, v: unknown, coerce: boolean): ValidationError =>
  new ValidationError({
    message: `Expected dtype for '${feature}' is '${dtype}', got '${typeName(v)}' (${JSON.stringify(v) ?? String(v)}).${
      coerce ? "" : typeof v === "string" ? ` To accept strings, create the feature with coerce: true.` : ""
    }`
  })

/**
 * A scalar value checked (and with `coerce`, converted) for `dtype`, in the JSON form the
 * registry stores: numbers, strings (`date` as `YYYY-MM-DD`, `datetime` as ISO 8601 UTC),
 * booleans, objects. Fails with `ValidationError` naming the feature and the value.
 */
export const checkScalar = (feature: string, name: ScalarDtype, v: unknown, coerce: boolean): unknown => {
  const fail = () => {
    throw mismatch(feature, name, v, coerce)
  }
  const numeric = (s: string): number | undefined => {
    const t = s.trim()
    return t !== "" && Number.isFinite(Number(t)) ? Number(t) : undefined
  }
  switch (name) {
    case "int": {
      const n = typeof v === "number" ? v : coerce && typeof v === "string" ? numeric(v) : undefined
      if (n === undefined || !Number.isInteger(n)) return fail()
      return n
    }
    case "float":
    case "num": {
      const n = typeof v === "number" ? v : coerce && typeof v === "string" ? numeric(v) : undefined
      if (n === undefined || !Number.isFinite(n)) return fail()
      return n
    }
    case "bool":
      if (typeof v === "boolean") return v
      if (coerce && (v === "true" || v === "false")) return v === "true"
      return fail()
    case "str":
    case "path":
      return typeof v === "string" ? v : fail()
    case "url":
      return typeof v === "string" && /^[a-z][a-z0-9+.-]*:\/\//i.test(v) ? v : fail()
    case "date":
      if (v instanceof Date && !Number.isNaN(v.getTime())) return isoDate(v)
      if (coerce && typeof v === "string" && (ISO_DATE.test(v) || ISO_DATETIME.test(v)) && !Number.isNaN(Date.parse(v))) return v.slice(0, 10)
      return fail()
    case "datetime":
      if (v instanceof Date && !Number.isNaN(v.getTime())) return v.toISOString()
      if (coerce && typeof v === "string" && (ISO_DATETIME.test(v) || ISO_DATE.test(v)) && !Number.isNaN(Date.parse(v))) return new Date(v).toISOString()
      return fail()
    case "dict":
      return v !== null && typeof v === "object" && !Array.isArray(v) && !(v instanceof Date) ? JSON.parse(JSON.stringify(v)) : fail()
  }
}
