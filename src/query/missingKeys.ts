/**
 * Saying why a query on an indexed JSON field found nothing: `Run.filter({ params__nosuch: 1 })`
 * counts 0 whether or not any run has that key, and the first answer usually means a typo.
 * When a query comes back empty, each key path it compared (outside a negation, not `isnull`)
 * is looked up in the side table; a path no record has gets a warning naming it and the keys
 * recent records do have.
 *
 * A warning rather than a failure: params keys are whatever users pass, and "no run with
 * `lr = 0.1` yet" (before the first run that sets it) is a legitimate empty answer.
 *
 * @module
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import { currentDialect } from "../db/dialect.js"
import { sqlFailure } from "../db/failure.js"
import { ident, sql as q } from "../db/sql.js"
import type { JsonIndex, Model } from "../schema/model.js"
import { canonicalPath } from "./jsonpath.js"
import { isLookup } from "./lookup.js"
import type { QNode } from "./Q.js"
import type { QueryState } from "./state.js"

interface Compared {
  readonly field: string
  readonly index: JsonIndex
  readonly keys: ReadonlyArray<string>
}

/** Key paths of indexed JSON fields that the conditions compare positively. */
const compared = (model: Model, nodes: ReadonlyArray<QNode>): ReadonlyArray<Compared> => {
  const out: Array<Compared> = []
  const walk = (node: QNode): void => {
    if (node._tag === "And" || node._tag === "Or") node.children.forEach(walk)
    if (node._tag !== "Spec") return
    for (const [key, value] of Object.entries(node.spec)) {
      const [field, ...rest] = key.split("__")
      const index = model.jsonIndexes[field!]
      if (index === undefined || rest.length === 0 || value === undefined) continue
      const last = rest[rest.length - 1]!
      const keys = rest.length >= 2 && isLookup(last) ? rest.slice(0, -1) : rest
      if (last === "isnull" || keys.length === 0) continue
      out.push({ field: field!, index, keys })
    }
  }
  nodes.forEach(walk)
  return out
}

const NAME = /\.("(?:[^"\\]|\\.)*"|[A-Za-z][A-Za-z0-9]*)/g

/** `$.preprocess.downsample` → `preprocess__downsample`; paths through arrays are skipped. */
const keyName = (path: string): string | undefined => {
  if (path.includes("[")) return undefined
  const names = [...path.matchAll(NAME)].map((m) => (m[1]!.startsWith('"') ? (JSON.parse(m[1]!) as string) : m[1]!))
  return names.length === 0 ? undefined : names.join("__")
}

/** Warn about compared key paths that no record has (called when a query found nothing). */
export const warnMissingKeys = (state: QueryState) =>
  Effect.gen(function* () {
    const wanted = compared(state.model, state.where)
    if (wanted.length === 0) return
    const sql = yield* SqlClient.SqlClient
    const dialect = yield* currentDialect
    for (const { field, index, keys } of wanted) {
      const path = canonicalPath(keys)
      // `branch` leads the side table's indexes: three seeks instead of a scan.
      const probe = q`SELECT 1 AS x FROM ${ident(index.table)} WHERE branch IN (-1, 0, 1) AND key_path = ${path} LIMIT 1`.render(dialect)
      if ((yield* sql.unsafe(probe.text, probe.params)).length > 0) continue
      const recent = yield* sql.unsafe<{ readonly key_path: string }>(
        q`SELECT DISTINCT key_path FROM ${ident(index.table)} WHERE ${ident(index.owner)} IN (SELECT id FROM ${ident(state.model.table)} ORDER BY id DESC LIMIT 100)`.render(dialect).text
      )
      const names = [...new Set(recent.map((r) => keyName(r.key_path)).filter((n): n is string => n !== undefined))].sort()
      yield* Effect.logWarning(
        `${state.model.name}.filter(${field}__${keys.join("__")}): no ${state.model.name} has the ${field} key '${keys.join("__")}'` +
          (names.length === 0 ? `; no recent ${state.model.name} has ${field} at all.` : `. Keys of recent records: ${names.slice(0, 30).join(", ")}${names.length > 30 ? ", …" : ""}`)
      )
    }
  }).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(sqlFailure(`Checking ${state.model.name} keys`)(e))))
