/**
 * `search(text)`: LaminDB's ranked search, in SQL.
 *
 * Candidates are records where any search field contains the text (case-insensitive by
 * default). Each field adds to the rank, exactly as LaminDB's `_search` does:
 *
 * | rule | weight | LaminDB's regex (S = the escaped text) |
 * |---|---|---|
 * | exact | 200 | `iexact` |
 * | synonym exact (a `|`-separated element equals S) | 200 | `(?:^|.*\|)S(?:\|.*|$)` |
 * | whole word | 10 | `(?:^|.*[ \|\.,;:])S(?:[ \|\.,;:].*|$)` |
 * | word prefix (element starts with S, no space after) | 8 | `(?:^|.*\|)S[^ ]*(?:\|.*|$)` |
 * | anchored sub-phrase from the left | 2 | `(?:^|.*[ \|])S.*` |
 * | anchored sub-phrase from the right | 2 | `.*S(?:$|[ \|\.,;:].*)` |
 * | contains | 1 | `icontains` |
 *
 * LaminDB applies the synonym rule to every searched field (for a field without `|` it doubles
 * the exact weight); Lamina does the same so the order matches. Results are ordered by rank,
 * then newest first, and limited to 20 unless asked otherwise.
 *
 * Speed: when the text has none of the delimiter characters (` |.,;:`) the rules are evaluated
 * with LIKE patterns over the lower-cased value (no regular expressions); otherwise with the
 * regular expressions above. On SQLite the registry's declared FTS5 trigram index (`searchIndex`) narrows
 * the candidates for texts of three or more characters; on Postgres pg_trgm GIN indexes serve
 * the `ILIKE '%text%'` candidate filter. Both only narrow: the ranking and the exact candidate
 * test run on the candidates. Case folding is ASCII on SQLite and Unicode on Postgres.
 *
 * @module
 */
import type { SqlDialect } from "../db/dialects/index.js"
import type { Model } from "../schema/model.js"
import { and, column, join, or, param, raw, sql, type Sql } from "./sql.js"
import type { SearchState } from "./state.js"
import { escapeLike, escapeRegex, invalid } from "./values.js"

/** LaminDB's weights. */
export const WEIGHTS = { exact: 200, synonym: 200, word: 10, prefix: 8, right: 2, left: 2, contains: 1 } as const

const DELIMITERS = /[ |.,;:]/
const WILD = Symbol("wild")
type PatternPart = string | typeof WILD

/** The candidate filter and the rank expression of a search. */
export const searchSql = (dialect: SqlDialect, model: Model, alias: string, search: SearchState): { readonly filter: Sql; readonly rank: Sql } => {
  const text = search.text
  for (const f of search.fields) {
    if (model.fields[f] !== "str")
      invalid(`search: '${f}' is not a text field of ${model.name}. Text fields: ${Object.entries(model.fields).filter(([, t]) => t === "str").map(([n]) => n).join(", ")}`)
  }
  if (search.fields.length === 0) invalid(`search: ${model.name} has no text fields to search.`)
  const ci = !search.caseSensitive
  const needle = (s: string): Sql => (ci ? sql`lower(${s})` : param(s))
  const value = (f: string): Sql => (ci ? sql`lower(COALESCE(${column(alias, f)}, ''))` : sql`COALESCE(${column(alias, f)}, '')`)
  // Case-insensitive: LIKE over lower-cased values; case-sensitive: the dialect's own patterns.
  const syntax = ci ? { wildcard: "%", escape: escapeLike, match: (v: Sql, p: Sql) => sql`${v} LIKE (${p}) ESCAPE '\\'` } : dialect.caseSensitivePattern
  const matches = (v: Sql, parts: ReadonlyArray<PatternPart>): Sql => {
    const pieces = parts.map((p) => (p === WILD ? raw(`'${syntax.wildcard}'`) : needle(syntax.escape(p))))
    return syntax.match(v, join(pieces, " || "))
  }
  const spaced = (v: Sql): Sql => {
    // The delimiters of LaminDB's whole-word rule, replaced by spaces.
    let out = v
    for (const c of ["|", ".", ",", ";", ":"]) out = sql`replace(${out}, '${raw(c)}', ' ')`
    return out
  }
  const regex = (f: string, pattern: string): Sql => dialect.regexMatch(sql`COALESCE(${column(alias, f)}, '')`, pattern, ci)
  const when = (cond: Sql, weight: number): Sql => sql`(CASE WHEN ${cond} THEN ${raw(String(weight))} ELSE 0 END)`

  const fast = !DELIMITERS.test(text)
  const e = escapeRegex(text)
  const terms: Array<Sql> = []
  for (const f of search.fields) {
    const v = value(f)
    terms.push(when(sql`${v} = ${needle(text)}`, WEIGHTS.exact))
    if (fast) {
      terms.push(
        when(or([sql`${v} = ${needle(text)}`, matches(v, [text, "|", WILD]), matches(v, [WILD, "|", text]), matches(v, [WILD, "|", text, "|", WILD])]), WEIGHTS.synonym)
      )
      terms.push(when(matches(sql`(' ' || ${spaced(v)} || ' ')`, [WILD, ` ${text} `, WILD]), WEIGHTS.word))
      terms.push(
        when(
          sql`(CASE WHEN ${v} LIKE '%|%' THEN ${regex(f, `(?:^|.*\\|)${e}[^ ]*(?:\\|.*|$)`)} ELSE (${and([matches(v, [text, WILD]), sql`NOT ${matches(v, [text, WILD, " ", WILD])}`])}) END)`,
          WEIGHTS.prefix
        )
      )
      terms.push(when(or([matches(v, [text, WILD]), matches(sql`replace(${v}, '|', ' ')`, [WILD, ` ${text}`, WILD])]), WEIGHTS.right))
      terms.push(when(matches(sql`(${spaced(v)} || ' ')`, [WILD, `${text} `, WILD]), WEIGHTS.left))
    } else {
      terms.push(when(regex(f, `(?:^|.*\\|)${e}(?:\\|.*|$)`), WEIGHTS.synonym))
      terms.push(when(regex(f, `(?:^|.*[ \\|\\.,;:])${e}(?:[ \\|\\.,;:].*|$)`), WEIGHTS.word))
      terms.push(when(regex(f, `(?:^|.*\\|)${e}[^ ]*(?:\\|.*|$)`), WEIGHTS.prefix))
      terms.push(when(regex(f, `(?:^|.*[ \\|])${e}.*`), WEIGHTS.right))
      terms.push(when(regex(f, `.*${e}(?:$|[ \\|\\.,;:].*)`), WEIGHTS.left))
    }
    terms.push(when(matches(v, [WILD, text, WILD]), WEIGHTS.contains))
  }
  const rank = sql`(${join(terms, " + ")})`

  const contains = or(search.fields.map((f) => dialect.textMatch(column(alias, f), "contains", text, ci)))
  // The declared FTS5 trigram table indexes the declared search fields (SQLite).
  const fts = model.searchIndex
  const narrow = (fts !== undefined && search.fields.every((f) => model.searchFields.includes(f)) ? dialect.ftsCandidates(column(alias, "id"), fts, text) : undefined) ?? raw("")
  return { filter: and([narrow, contains]), rank }
}
