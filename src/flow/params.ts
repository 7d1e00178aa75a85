/**
 * Bind a call's arguments to parameter names, defaults included, as LaminDB binds a Python
 * call's arguments into `run.params`.
 *
 * JavaScript has no signature introspection, so the parameter list is read from the function's
 * source text (once per function). Literal defaults (`epochs = 10`, `mode = "fast"`) are
 * recorded when the argument is left out; a non-literal default is part of the source code, so
 * it is covered by the source hash instead. A single destructured object parameter
 * (`({ learning_rate, epochs = 10 }) => …`) is flattened: its keys become the params, so
 * `Run.filter({ params__learning_rate: 0.01 })` works.
 *
 * @module
 */
import { IDENTIFIER } from "./identifier.js"

/** A field of a destructured object parameter. */
export interface PatternField {
  readonly name: string
  readonly defaultText?: string
}

/** One declared parameter. */
export interface ParamSpec {
  readonly name: string
  readonly kind: "ident" | "object" | "array" | "rest"
  readonly defaultText?: string
  /** For object patterns: the destructured fields. */
  readonly fields?: ReadonlyArray<PatternField>
}

/** Index just past the string, template or comment starting at `i`, or `i` if none starts there. */
const skipLiteral = (src: string, i: number): number => {
  const c = src[i]
  if (c === '"' || c === "'") {
    let j = i + 1
    while (j < src.length && src[j] !== c) j += src[j] === "\\" ? 2 : 1
    return j + 1
  }
  if (c === "`") {
    let j = i + 1
    while (j < src.length && src[j] !== "`") {
      if (src[j] === "\\") j += 2
      else if (src[j] === "$" && src[j + 1] === "{") j = matchClose(src, j + 1) + 1
      else j++
    }
    return j + 1
  }
  if (c === "/" && src[i + 1] === "/") {
    const end = src.indexOf("\n", i)
    return end < 0 ? src.length : end + 1
  }
  if (c === "/" && src[i + 1] === "*") {
    const end = src.indexOf("*/", i + 2)
    return end < 0 ? src.length : end + 2
  }
  return i
}

/** Index of the bracket closing the one at `open`. */
const matchClose = (src: string, open: number): number => {
  let depth = 0
  for (let i = open; i < src.length; ) {
    const skipped = skipLiteral(src, i)
    if (skipped !== i) {
      i = skipped
      continue
    }
    const c = src[i]
    if (c === "(" || c === "[" || c === "{") depth++
    else if (c === ")" || c === "]" || c === "}") {
      depth--
      if (depth === 0) return i
    }
    i++
  }
  return src.length
}

/**
 * Visit each character of `src` that lies outside string/template literals and comments and at
 * bracket depth 0; stop early when `visit` returns true.
 */
const scanTopLevel = (src: string, visit: (i: number) => boolean | void): void => {
  let depth = 0
  for (let i = 0; i < src.length; ) {
    const skipped = skipLiteral(src, i)
    if (skipped !== i) {
      i = skipped
      continue
    }
    const c = src[i]
    if (c === "(" || c === "[" || c === "{") depth++
    else if (c === ")" || c === "]" || c === "}") depth--
    else if (depth === 0 && visit(i) === true) return
    i++
  }
}

/** Split on top-level commas (outside brackets, strings, comments). */
const splitTopLevel = (src: string): Array<string> => {
  const parts: Array<string> = []
  let start = 0
  scanTopLevel(src, (i) => {
    if (src[i] === ",") {
      parts.push(src.slice(start, i))
      start = i + 1
    }
  })
  parts.push(src.slice(start))
  return parts.map(stripComments).map((p) => p.trim()).filter((p) => p !== "")
}

const stripComments = (s: string): string => s.replace(/\/\*[\s\S]*?\*\//g, " ").replace(/\/\/[^\n]*/g, " ")

/** Split `name = default` at the first top-level `=` (not `==`, `=>`, `<=`, `>=`, `!=`). */
const splitDefault = (s: string): { readonly head: string; readonly defaultText?: string } => {
  let at = -1
  scanTopLevel(s, (i) => {
    const isAssign = s[i] === "=" && s[i + 1] !== "=" && s[i + 1] !== ">" && (i === 0 || !"=!<>".includes(s[i - 1]!))
    if (isAssign) at = i
    return isAssign
  })
  return at < 0 ? { head: s.trim() } : { head: s.slice(0, at).trim(), defaultText: s.slice(at + 1).trim() }
}

const parsePatternFields = (pattern: string): ReadonlyArray<PatternField> =>
  splitTopLevel(pattern.slice(1, matchClose(pattern, 0))).flatMap((entry): Array<PatternField> => {
    if (entry.startsWith("...")) return []
    const { head, defaultText } = splitDefault(entry)
    const colon = head.indexOf(":")
    const name = (colon < 0 ? head : head.slice(0, colon)).trim().replace(/^["']|["']$/g, "")
    return name !== "" ? [{ name, ...(defaultText !== undefined ? { defaultText } : {}) }] : []
  })

// A whole parameter name; `x => …` and `async x => …`: a single bare parameter.
const IDENT = new RegExp(`^${IDENTIFIER}$`, "u")
const BARE_PARAM = new RegExp(String.raw`^(?:async\s+)?(${IDENTIFIER})\s*=>`, "u")

/** The parameter list's text of a function's source. */
const paramListOf = (source: string): string | undefined => {
  const src = source.trimStart()
  const bare = BARE_PARAM.exec(src)
  if (bare && bare[1] !== "async") return bare[1]!
  for (let i = 0; i < src.length; ) {
    const skipped = skipLiteral(src, i)
    if (skipped !== i) {
      i = skipped
      continue
    }
    if (src[i] === "(") return src.slice(i + 1, matchClose(src, i))
    // A computed method name `[expr](…)`: skip the brackets.
    if (src[i] === "[") {
      i = matchClose(src, i) + 1
      continue
    }
    if (src[i] === "{" || src[i] === "=") return undefined
    i++
  }
  return undefined
}

/** The declared parameters of a function, read from its source text. */
export const parseParams = (fn: { toString(): string }): ReadonlyArray<ParamSpec> => {
  let list: string | undefined
  try {
    list = paramListOf(fn.toString())
  } catch {
    list = undefined
  }
  if (list === undefined) return []
  return splitTopLevel(list).map((raw, i): ParamSpec => {
    if (raw.startsWith("...")) {
      const name = raw.slice(3).trim()
      return { name: IDENT.test(name) ? name : `arg${i}`, kind: "rest" }
    }
    const { head, defaultText } = splitDefault(raw)
    const withDefault = defaultText !== undefined ? { defaultText } : {}
    if (head.startsWith("{")) return { name: `arg${i}`, kind: "object", fields: parsePatternFields(head), ...withDefault }
    if (head.startsWith("[")) return { name: `arg${i}`, kind: "array", ...withDefault }
    // TypeScript output keeps no annotations, but be lenient with `name: Type` and `name?`.
    const name = head.replace(/[?]?\s*:[\s\S]*$/, "").replace(/\?$/, "").trim()
    return { name: IDENT.test(name) ? name : `arg${i}`, kind: "ident", ...withDefault }
  })
}

/** A literal default's value, or `undefined` for anything else (its text is in the source). */
export const literalDefault = (text: string | undefined): unknown => {
  if (text === undefined) return undefined
  const t = text.trim()
  if (t === "undefined") return undefined
  if (/^'(?:[^'\\]|\\.)*'$/.test(t)) return t.slice(1, -1).replace(/\\(.)/g, "$1")
  try {
    return JSON.parse(t)
  } catch {
    return undefined
  }
}

/** A bound argument: its param name and value. */
export interface BoundParam {
  readonly name: string
  readonly value: unknown
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false
  const proto = Object.getPrototypeOf(v)
  return proto === Object.prototype || proto === null
}

const withFieldDefaults = (spec: ParamSpec, value: unknown): unknown => {
  const base = value === undefined ? literalDefault(spec.defaultText) : value
  if (!isPlainObject(base) && base !== undefined) return base
  const out: Record<string, unknown> = { ...(base ?? {}) }
  for (const f of spec.fields ?? []) {
    if (out[f.name] === undefined && f.defaultText !== undefined) {
      const d = literalDefault(f.defaultText)
      if (d !== undefined) out[f.name] = d
    }
  }
  return out
}

/**
 * Bind `args` to `specs`: named params in declaration order, literal defaults filled in. A
 * function with one destructured object parameter has that object's keys as its params.
 */
export const bindParams = (specs: ReadonlyArray<ParamSpec>, args: ReadonlyArray<unknown>): ReadonlyArray<BoundParam> => {
  if (specs.length === 1 && specs[0]!.kind === "object" && args.length <= 1) {
    const obj = withFieldDefaults(specs[0]!, args[0])
    if (isPlainObject(obj)) return Object.keys(obj).map((name) => ({ name, value: obj[name] }))
  }
  const bound: Array<BoundParam> = []
  specs.forEach((spec, i) => {
    switch (spec.kind) {
      case "rest":
        bound.push({ name: spec.name, value: args.slice(i) })
        break
      case "object":
        bound.push({ name: spec.name, value: withFieldDefaults(spec, args[i]) })
        break
      default:
        bound.push({ name: spec.name, value: args[i] === undefined ? literalDefault(spec.defaultText) : args[i] })
    }
  })
  const hasRest = specs.some((s) => s.kind === "rest")
  if (!hasRest) for (let i = specs.length; i < args.length; i++) bound.push({ name: `arg${i}`, value: args[i] })
  return bound
}
