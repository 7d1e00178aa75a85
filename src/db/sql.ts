/**
 * A tiny SQL text builder for the query compiler: SQL is assembled from trusted text, quoted
 * identifiers and bound parameters, and rendered once per dialect (`?` for SQLite, `$n` for
 * Postgres). A value never becomes SQL text by concatenation: every value is a bound parameter,
 * or, where a statement cannot take parameters (Postgres' multi-statement query,
 * `SqlDialect.oneTransaction`), a literal quoted by the driver's own escaping.
 *
 * @module
 */
import { placeholders, type Dialect } from "./dialect.js"

/** A value that can be bound to a statement. */
export type Bindable = string | number | boolean | null

type Part =
  | { readonly _tag: "text"; readonly text: string }
  | { readonly _tag: "param"; readonly value: Bindable }

/** A piece of SQL: trusted text and bound parameters, in order. */
export class Sql {
  constructor(readonly parts: ReadonlyArray<Part>) {}

  /** True when this fragment has no text and no parameters. */
  get isEmpty(): boolean {
    return this.parts.every((p) => p._tag === "text" && p.text === "")
  }

  /** Render for `dialect`: the statement text and its parameters. */
  render(dialect: Dialect): { readonly text: string; readonly params: ReadonlyArray<Bindable> } {
    let text = ""
    const placeholder = placeholders[dialect]
    const params: Array<Bindable> = []
    for (const p of this.parts) {
      if (p._tag === "text") text += p.text
      else {
        params.push(p.value)
        text += placeholder(params.length)
      }
    }
    return { text, params }
  }
}

/** Trusted SQL text (never user input). */
export const raw = (text: string): Sql => new Sql([{ _tag: "text", text }])

/** A bound parameter. */
export const param = (value: Bindable): Sql => new Sql([{ _tag: "param", value }])

/** A quoted identifier (`"name"`, with embedded quotes doubled). */
export const ident = (name: string): Sql => raw(`"${name.replace(/"/g, '""')}"`)

/** `alias."column"`. */
export const column = (alias: string, name: string): Sql => raw(`${alias}."${name.replace(/"/g, '""')}"`)

/** The empty fragment. */
export const empty: Sql = new Sql([])

/**
 * Template tag: interpolated `Sql` fragments are inlined, every other value is bound as a
 * parameter.
 */
export const sql = (strings: TemplateStringsArray, ...values: ReadonlyArray<Sql | Bindable>): Sql => {
  const parts: Array<Part> = []
  strings.forEach((s, i) => {
    if (s !== "") parts.push({ _tag: "text", text: s })
    if (i < values.length) {
      const v = values[i]!
      if (v instanceof Sql) parts.push(...v.parts)
      else parts.push({ _tag: "param", value: v })
    }
  })
  return new Sql(parts)
}

/** Join fragments with a separator (skipping empty ones). */
export const join = (fragments: ReadonlyArray<Sql>, separator: string): Sql => {
  const parts: Array<Part> = []
  fragments
    .filter((f) => !f.isEmpty)
    .forEach((f, i) => {
      if (i > 0) parts.push({ _tag: "text", text: separator })
      parts.push(...f.parts)
    })
  return new Sql(parts)
}

/** `(a AND b AND …)`; `TRUE`-equivalent `1 = 1` when empty. */
export const and = (fragments: ReadonlyArray<Sql>): Sql => {
  const xs = fragments.filter((f) => !f.isEmpty)
  if (xs.length === 0) return raw("1 = 1")
  if (xs.length === 1) return xs[0]!
  return sql`(${join(xs, " AND ")})`
}

/** `(a OR b OR …)`; `1 = 0` when empty. */
export const or = (fragments: ReadonlyArray<Sql>): Sql => {
  const xs = fragments.filter((f) => !f.isEmpty)
  if (xs.length === 0) return raw("1 = 0")
  if (xs.length === 1) return xs[0]!
  return sql`(${join(xs, " OR ")})`
}

/** `NOT` with Django's exclude semantics: a condition that is NULL counts as not matching. */
export const not = (fragment: Sql): Sql => sql`((${fragment}) IS NOT TRUE)`

/** Comma-separated list of bound parameters. */
export const params = (values: ReadonlyArray<Bindable>): Sql => join(values.map(param), ", ")
