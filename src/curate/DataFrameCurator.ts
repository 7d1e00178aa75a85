/**
 * `DataFrameCurator`: validate, standardize and annotate a table (an Arrow `Table`, or a
 * Parquet / Arrow IPC / CSV artifact) against a schema — LaminDB's `DataFrameCurator`.
 *
 * ```ts
 * const curator = yield* DataFrameCurator.make(table, "My DataFrame schema")
 * yield* curator.validate()                        // ValidationError with every problem (as text and as data)
 * yield* curator.standardize()                     // synonyms → canonical names, missing nullable columns added
 * yield* curator.addNewFrom("perturbation")        // save the unvalidated terms as labels
 * const artifact = yield* curator.saveArtifact({ key: "examples/dataset1.parquet" })
 * ```
 *
 * @module
 */
import type { Table, Vector } from "apache-arrow"
import { Effect, Ref } from "effect"
import { arrow, type Arrow } from "../formats/table/arrow.js"
import { InvalidArgument, ValidationError, type DoesNotExist, type IntegrityError, type MultipleResultsFound, type StorageError } from "../errors.js"
import { Artifact } from "../registry/Artifact.js"
import type { ArtifactEnv } from "../registry/artifact/options.js"
import type { Schema } from "../registry/Schema.js"
import type { SchemaDefinition } from "../registry/schema/definition.js"
import { annotateArtifact } from "./annotateArtifact.js"
import { distinctStrings, isStringColumn } from "./columns.js"
import { Curator } from "./Curator.js"
import { problemsText } from "./messages.js"
import { sourcesOf, validateTable, type TableReport } from "./validateTable.js"

/** The slot a DataFrame's columns are validated in (LaminDB's `columns`). */
export const COLUMNS_SLOT = "columns"

/** Where `saveArtifact` puts the data. */
export interface SaveArtifactOptions {
  readonly key?: string
  readonly description?: string
}

/** Fail with every problem of `reports` (text and data), else succeed with them. */
export const failOnProblems = <R extends { readonly problems: TableReport["problems"] }>(reports: ReadonlyArray<R>) => {
  const problems = reports.flatMap((r) => r.problems)
  return problems.length === 0 ? Effect.succeed(reports) : Effect.fail(new ValidationError({ message: problemsText(problems), problems }))
}

/** A string column with some values replaced. */
const replaceValues = ({ Utf8, vectorFromArray }: Arrow, vector: Vector, map: ReadonlyMap<string, string>): Vector => {
  const out: Array<string | null> = new Array(vector.length)
  for (let i = 0; i < vector.length; i++) {
    const v = vector.get(i) as string | null
    out[i] = v === null ? null : (map.get(v) ?? v)
  }
  return vectorFromArray(out, new Utf8()) as unknown as Vector
}

/** A column of `n` copies of `value` (null when there is no default). */
const constantColumn = ({ Bool, Float64, Utf8, vectorFromArray }: Arrow, value: unknown, n: number): Vector => {
  if (typeof value === "number") return vectorFromArray(Array.from({ length: n }, () => value), new Float64()) as unknown as Vector
  if (typeof value === "boolean") return vectorFromArray(Array.from({ length: n }, () => value), new Bool()) as unknown as Vector
  return vectorFromArray(Array.from({ length: n }, () => (value === null || value === undefined ? null : String(value))), new Utf8()) as unknown as Vector
}

/**
 * Standardize `table` for `def`: column names matching a feature's synonym or name ignoring case
 * become the feature name; categorical values matching a label ignoring case become its name;
 * missing nullable members are added with their `default_value` (nulls without one).
 */
export const standardizeTable = (table: Table, def: SchemaDefinition, skip: ReadonlyArray<string> = []) =>
  Effect.gen(function* () {
    const curator = yield* Curator
    const lib = yield* arrow
    const names = table.schema.fields.map((f) => f.name)
    const byLower = new Map<string, string>()
    for (const m of def.members) for (const n of [m.feature.name, ...m.feature.synonyms]) byLower.set(n.toLowerCase(), m.feature.name)
    if (def.schema.flexible) {
      const like = yield* curator.featuresLike(names.filter((n) => !skip.includes(n)))
      for (const [k, f] of like) if (!byLower.has(k)) byLower.set(k, f.name)
    }
    const columns: Record<string, Vector> = {}
    for (const name of names) {
      const target = skip.includes(name) ? name : (byLower.get(name.toLowerCase()) ?? name)
      if (!(target in columns) || target === name) columns[target] = table.getChild(name) as Vector
    }
    const features = new Map(def.members.map((m) => [m.feature.name, m.feature]))
    if (def.schema.flexible) for (const f of (yield* curator.features(Object.keys(columns))).values()) if (!features.has(f.name)) features.set(f.name, f)
    for (const [name, vector] of Object.entries(columns)) {
      const feature = features.get(name)
      if (feature === undefined || !isStringColumn(vector.type)) continue
      const sources = sourcesOf(feature)
      if (sources.length === 0) continue
      const distinct = distinctStrings(vector)
      const exact = new Set<string>()
      for (const s of sources) for (const k of (yield* curator.lookup(s, distinct)).keys()) exact.add(k)
      const pending = distinct.filter((v) => !exact.has(v))
      const map = new Map<string, string>()
      for (const s of sources) {
        if (pending.length === 0) break
        const found = yield* curator.lookup(s, pending, { caseInsensitive: true })
        for (const v of pending) {
          const m = found.get(v.toLowerCase())
          if (m !== undefined && !map.has(v)) map.set(v, m.value)
        }
      }
      if (map.size > 0) columns[name] = replaceValues(lib, vector, map)
    }
    for (const m of def.members)
      if (!(m.feature.name in columns) && (m.feature.nullable || m.feature.default_value !== null))
        columns[m.feature.name] = constantColumn(lib, m.feature.default_value, table.numRows)
    return new lib.Table(columns)
  })

/** A DataFrame curator: see the module doc. */
export interface DataFrameCurator {
  /** The schema's definition. */
  readonly definition: SchemaDefinition
  /** The table as it stands (after `standardize`). */
  readonly table: Effect.Effect<Table>
  /** Validate: the report when valid, else a `ValidationError` with every problem (`problems` as data). */
  readonly validate: () => Effect.Effect<TableReport, ValidationError | StorageError | IntegrityError>
  /** Synonyms and case to canonical names; missing nullable columns added with `default_value`. Returns the new table. */
  readonly standardize: () => Effect.Effect<Table, StorageError | IntegrityError>
  /** Save the column's unvalidated terms as labels of its feature's first registry. */
  readonly addNewFrom: (column: string) => Effect.Effect<ReadonlyArray<string>, InvalidArgument | ValidationError | StorageError | IntegrityError>
  /** Validate, then save as an artifact linked to the schema, its labels and features. */
  readonly saveArtifact: (options?: SaveArtifactOptions) => Effect.Effect<Artifact, InvalidArgument | ValidationError | StorageError | IntegrityError | DoesNotExist | MultipleResultsFound, ArtifactEnv>
}

const make = (data: Table | Artifact, schema: Schema | string) =>
  Effect.gen(function* () {
    const curator = yield* Curator
    const source = data instanceof Artifact ? data : undefined
    if (source === undefined && !(data instanceof (yield* arrow).Table))
      return yield* new InvalidArgument({ message: "DataFrameCurator takes an Arrow Table or a table artifact (Parquet, Arrow IPC, CSV)." })
    const initial = source !== undefined ? yield* source.loadTable() : (data as Table)
    const definition = yield* curator.schema(schema)
    if (Object.keys(definition.components).length > 0)
      return yield* new InvalidArgument({ message: `Schema '${definition.schema.name ?? definition.schema.uid}' is composite (slots ${Object.keys(definition.components).join(", ")}): use AnnDataCurator.` })
    const current = yield* Ref.make(initial)
    const changed = yield* Ref.make(false)
    const provide = <A, E>(e: Effect.Effect<A, E, Curator>) => Effect.provideService(e, Curator, curator)
    const validate = () =>
      provide(
        Effect.gen(function* () {
          const report = yield* validateTable(yield* Ref.get(current), definition, COLUMNS_SLOT)
          for (const line of report.logs) yield* Effect.logInfo(line)
          yield* failOnProblems([report])
          return report
        })
      )
    const self: DataFrameCurator = {
      definition,
      table: Ref.get(current),
      validate,
      standardize: () =>
        provide(
          Effect.gen(function* () {
            const next = yield* standardizeTable(yield* Ref.get(current), definition)
            yield* Ref.set(current, next)
            yield* Ref.set(changed, true)
            return next
          })
        ),
      addNewFrom: (column) =>
        provide(
          Effect.gen(function* () {
            const report = yield* validateTable(yield* Ref.get(current), definition, COLUMNS_SLOT)
            const c = report.categoricals.find((x) => x.column === column)
            if (c === undefined)
              return yield* new InvalidArgument({
                message: `'${column}' is not a categorical column of this table under the schema; categorical columns: ${report.categoricals.map((x) => `'${x.column}'`).join(", ") || "none"}.`
              })
            if (c.notValidated.length > 0) yield* curator.save(c.sources[0]!, c.notValidated)
            return c.notValidated
          })
        ),
      saveArtifact: (options = {}) =>
        Effect.gen(function* () {
          const report = yield* validate()
          const artifact =
            source !== undefined && !(yield* Ref.get(changed))
              ? source
              : yield* Effect.flatMap(
                  Artifact.fromTable(yield* Ref.get(current), {
                    ...(options.key !== undefined ? { key: options.key } : {}),
                    ...(options.description !== undefined ? { description: options.description } : {})
                  }),
                  (p) => p.save()
                )
          yield* annotateArtifact(artifact.id, [{ slot: COLUMNS_SLOT, schemaId: definition.schema.id }], report.categoricals)
          return artifact
        })
    }
    return self
  })

/** `DataFrameCurator.make(tableOrArtifact, schemaOrName)`. */
export const DataFrameCurator = { make }
