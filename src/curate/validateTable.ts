/**
 * Validating one table (a DataFrame, or an AnnData's obs) against one non-composite schema:
 * required, extra and ordered columns, dtypes (strict or with coerce), nulls, and categorical
 * values against their registries — each distinct value looked up once. Returns every problem
 * as data plus LaminDB's log lines; writes nothing.
 *
 * @module
 */
import type { Table, Vector } from "apache-arrow"
import { Effect } from "effect"
import type { IntegrityError, StorageError, ValidationProblem } from "../errors.js"
import { categoricalOf } from "../registry/feature/dtype.js"
import type { CurationFeature, SchemaDefinition } from "../registry/schema/definition.js"
import { arrowTypeName, distinctStrings, fitOf, isStringColumn, unparsable } from "./columns.js"
import { Curator, sourceText, type TermMatch, type TermSource } from "./Curator.js"
import { dtypeFailed, extraColumn, missingColumn, notValidated, nullsFound, outOfOrder, termsLine } from "./messages.js"

/** What validating a categorical column found. */
export interface CategoricalReport {
  readonly column: string
  readonly feature: CurationFeature
  /** Where the values were looked up, in order. */
  readonly sources: ReadonlyArray<TermSource>
  /** Distinct value → the label it names. */
  readonly matches: ReadonlyMap<string, TermMatch>
  readonly notValidated: ReadonlyArray<string>
}

/** What validating a table found. */
export interface TableReport {
  readonly slot: string
  readonly problems: ReadonlyArray<ValidationProblem>
  /** Columns validated against features, in table order. */
  readonly features: ReadonlyArray<{ readonly column: string; readonly feature: CurationFeature }>
  readonly categoricals: ReadonlyArray<CategoricalReport>
  /** Every column validated or checked (names, the index excluded): what a cached result depends on. */
  readonly columns: ReadonlyArray<string>
  /** For a registry-field schema: where the index was looked up and the values found there. */
  readonly index?: { readonly source: TermSource; readonly values: ReadonlyArray<string> }
  /** LaminDB's log lines (`"perturbation" is validated against ULabel.name`, …). */
  readonly logs: ReadonlyArray<string>
}

/** The label sources of a categorical feature (`cat` is every label registry). */
export const sourcesOf = (feature: CurationFeature): ReadonlyArray<TermSource> =>
  (categoricalOf(feature.parsed) ?? []).map((t) => ({ registry: t.registry, ...(t.type !== undefined ? { type: t.type } : {}), field: "name" as const }))

/** Look `values` up in each source in turn; a value found in an earlier source is not looked up again. */
export const lookupIn = (sources: ReadonlyArray<TermSource>, values: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const curator = yield* Curator
    const matches = new Map<string, TermMatch>()
    for (const source of sources) {
      const pending = values.filter((v) => !matches.has(v))
      if (pending.length === 0) break
      for (const [k, m] of yield* curator.lookup(source, pending)) matches.set(k, m)
    }
    return matches
  })

/** Validate `table` (minus `skip` columns, e.g. an AnnData index) against `def`, reporting under `slot`. */
export const validateTable = (
  table: Table,
  def: SchemaDefinition,
  slot: string,
  skip: ReadonlyArray<string> = []
): Effect.Effect<TableReport, StorageError | IntegrityError, Curator> =>
  Effect.gen(function* () {
    const curator = yield* Curator
    const problems: Array<ValidationProblem> = []
    const logs: Array<string> = []
    const schema = def.schema
    const columns = table.schema.fields.map((f) => f.name).filter((n) => !skip.includes(n))
    const members = def.members.map((m) => m.feature.name)
    const memberSet = new Set(members)
    for (const m of def.members)
      if (schema.minimal_set && !m.optional && !columns.includes(m.feature.name)) problems.push(missingColumn(slot, m.feature.name, columns))
    if (schema.maximal_set) for (const c of columns) if (!memberSet.has(c)) problems.push(extraColumn(slot, c, schema.name))
    if (schema.ordered_set) {
      const present = columns.filter((c) => memberSet.has(c))
      const expected = members.filter((m) => present.includes(m))
      const wrong = present.findIndex((c, i) => c !== expected[i])
      if (wrong >= 0) problems.push(outOfOrder(slot, present[wrong]!, expected))
    }
    // Columns validated: the members present, and with `flexible` every other column that is a feature.
    const byName = new Map(def.members.map((m) => [m.feature.name, m.feature]))
    const others = columns.filter((c) => !memberSet.has(c))
    if (schema.flexible && others.length > 0) {
      const found = yield* curator.features(others)
      for (const [n, f] of found) byName.set(n, f)
      const notFeatures = others.filter((c) => !found.has(c))
      const nColumns = others.length + columns.filter((c) => memberSet.has(c)).length
      logs.push(termsLine(nColumns - notFeatures.length, nColumns, true, "name"))
      if (notFeatures.length > 0) logs.push(termsLine(notFeatures.length, nColumns, false, "name", notFeatures))
    }
    const features: Array<{ readonly column: string; readonly feature: CurationFeature }> = []
    const categoricals: Array<CategoricalReport> = []
    for (const column of columns) {
      const feature = byName.get(column)
      if (feature === undefined) continue
      features.push({ column, feature })
      const vector = table.getChild(column) as Vector
      if (!feature.nullable && vector.nullCount > 0) problems.push(nullsFound(slot, column, vector.nullCount))
      const coerce = feature.coerce || schema.coerce
      const fit = fitOf(feature.parsed, vector.type)
      const got = arrowTypeName(vector.type)
      if (fit === "no" || (fit === "coercible" && !coerce)) {
        problems.push(dtypeFailed(slot, column, feature.dtype, got, coerce))
        continue
      }
      if (fit === "coercible" && isStringColumn(vector.type) && feature.parsed._tag === "Scalar") {
        const name = feature.parsed.name
        if (name === "int" || name === "float" || name === "num" || name === "bool" || name === "date" || name === "datetime") {
          const bad = unparsable(name, distinctStrings(vector))
          if (bad.length > 0) problems.push({ ...dtypeFailed(slot, column, feature.dtype, got, true), values: bad, message: `Column '${column}' failed dtype check for '${feature.dtype}': got ${got} with values that do not convert: ${bad.map((b) => `'${b}'`).join(", ")}` })
        }
        continue
      }
      const sources = sourcesOf(feature)
      if (sources.length === 0) continue
      const distinct = distinctStrings(vector)
      const matches = yield* lookupIn(sources, distinct)
      const missing = distinct.filter((v) => !matches.has(v))
      logs.push(`${JSON.stringify(column)} is validated against ${sources.map(sourceText).join(" | ")}`)
      logs.push(termsLine(distinct.length - missing.length, distinct.length, true, sources[0]!.field))
      if (missing.length > 0) {
        logs.push(termsLine(missing.length, distinct.length, false, sources[0]!.field, missing))
        problems.push(notValidated(slot, column, missing))
      }
      categoricals.push({ column, feature, sources, matches, notValidated: missing })
    }
    return { slot, problems, features, categoricals, columns, logs }
  })
