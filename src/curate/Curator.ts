/**
 * The `Curator` service: the registries a dataset is validated against. Curators
 * (`DataFrameCurator`, `AnnDataCurator`) do the checking; they reach schemas, features and
 * labels only through this service, so another layer — a second instance's registries, a
 * read-only mirror — changes what is validated against without touching the checks:
 *
 * ```ts
 * Effect.provide(curation, Curator.layerWith(Lamina.layer({ storage: "/data/reference" })))
 * ```
 *
 * The default layer (`Curator.layer`, part of `Lamina.layer`) uses the instance's own registry.
 * Terms are looked up once per distinct value, in batches (one query per batch of distinct
 * values, never one per row).
 *
 * @module
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { Context, Effect, Layer } from "effect"
import { sqlFailure } from "../db/failure.js"
import type { SqlError } from "@effect/sql/SqlError"
import type { DoesNotExist, IntegrityError, InvalidArgument, MultipleResultsFound, StorageError, ValidationError } from "../errors.js"
import { Instance } from "../instance/Instance.js"
import { observedStatement } from "../query/observe.js"
import { encodeValue } from "../registry/model.js"
import { Record as RecordRegistry } from "../registry/Record.js"
import { Schema, type Schema as SchemaRecord } from "../registry/Schema.js"
import { curationFeature, schemaDefinition, type CurationFeature, type SchemaDefinition } from "../registry/schema/definition.js"
import { ULabel } from "../registry/ULabel.js"
import type { LabelRegistry } from "../registry/feature/dtype.js"

/** Where the values of a categorical column (or an index) must be found: a registry field, optionally within a type. */
export interface TermSource {
  readonly registry: LabelRegistry
  readonly type?: string
  readonly field: "name" | "uid"
}

/** The canonical text of a term source (`ULabel.name`, `Record[Gene].name`). */
export const sourceText = (s: TermSource): string => `${s.registry}${s.type === undefined ? "" : `[${s.type}]`}.${s.field}`

/** Values found in a source, by the value as given. */
export interface TermMatch {
  readonly registry: LabelRegistry
  readonly id: number
  /** The value as stored in the registry. */
  readonly value: string
}

/** What the Curator service offers curators. */
export interface CuratorService {
  /** A schema's definition by record, uid or name (`"valid_features"` is built in). */
  readonly schema: (ref: SchemaRecord | string) => Effect.Effect<SchemaDefinition, DoesNotExist | MultipleResultsFound | InvalidArgument | StorageError | IntegrityError | ValidationError>
  /** Live features by name (names that are no feature are absent). */
  readonly features: (names: ReadonlyArray<string>) => Effect.Effect<ReadonlyMap<string, CurationFeature>, StorageError | IntegrityError>
  /** Live features whose synonyms or names match `names` case-insensitively, by the lower-cased name. */
  readonly featuresLike: (names: ReadonlyArray<string>) => Effect.Effect<ReadonlyMap<string, CurationFeature>, StorageError | IntegrityError>
  /**
   * Which of the distinct `values` a source holds. With `caseInsensitive`, also values that
   * match ignoring case, keyed by the lower-cased value (for `standardize`).
   */
  readonly lookup: (
    source: TermSource,
    values: ReadonlyArray<string>,
    options?: { readonly caseInsensitive?: boolean }
  ) => Effect.Effect<ReadonlyMap<string, TermMatch>, StorageError | IntegrityError>
  /** Save `values` as new records of the source's registry (and type). */
  readonly save: (source: TermSource, values: ReadonlyArray<string>) => Effect.Effect<void, InvalidArgument | ValidationError | StorageError | IntegrityError>
}

/** The Curator service tag. */
export class Curator extends Context.Tag("lamina/Curator")<Curator, CuratorService>() {}

/** How many distinct values one lookup query takes (well under SQLite's and Postgres's parameter limits). */
export const LOOKUP_BATCH = 5000

const chunks = <A>(xs: ReadonlyArray<A>, n: number): ReadonlyArray<ReadonlyArray<A>> => {
  const out: Array<ReadonlyArray<A>> = []
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n))
  return out
}

const TABLE: Readonly<Record<LabelRegistry, string>> = { ULabel: "lamina_ulabel", Record: "lamina_record" }

/** A Curator over the registry of the SqlClient (and Instance) in context. */
export const make: Effect.Effect<CuratorService, never, SqlClient.SqlClient | Instance> = Effect.gen(function* () {
  const context = yield* Effect.context<SqlClient.SqlClient | Instance>()
  const sql = Context.get(context, SqlClient.SqlClient)
  const provide = <A, E>(effect: Effect.Effect<A, E, SqlClient.SqlClient | Instance>) => Effect.provide(effect, context)
  const failSql =
    (what: string) =>
    <A, R>(effect: Effect.Effect<A, SqlError, R>): Effect.Effect<A, StorageError | IntegrityError, R> =>
      Effect.catchTag(effect, "SqlError", (e) => Effect.fail(sqlFailure(what)(e)))

  const typeIds = (registry: LabelRegistry, type: string) =>
    Effect.map(
      observedStatement(registry, `${registry} type '${type}'`, sql<{ readonly id: number }>`SELECT id FROM ${sql(TABLE[registry])} WHERE name = ${type} AND is_type = ${encodeValue("bool", true)} AND branch = 1`),
      (rows) => rows.map((r) => Number(r.id))
    )

  const service: CuratorService = {
    schema: (ref) => provide(Effect.flatMap(Schema.resolve(ref), (s) => schemaDefinition(s.id))),
    features: (names) =>
      Effect.gen(function* () {
        const out = new Map<string, CurationFeature>()
        for (const batch of chunks([...new Set(names)], LOOKUP_BATCH)) {
          const rows = yield* observedStatement(
            "Feature",
            `the features ${names.length === 1 ? `'${names[0]}'` : `of ${names.length} names`} a curator read`,
            sql<Record<string, unknown>>`SELECT * FROM lamina_feature WHERE ${sql.in("name", batch)} AND branch = 1 AND dtype IS NOT NULL`
          )
          for (const r of rows) out.set(String(r.name), curationFeature(r))
        }
        return out as ReadonlyMap<string, CurationFeature>
      }).pipe(failSql("Reading features")),
    featuresLike: (names) =>
      Effect.gen(function* () {
        const wanted = new Set(names.map((n) => n.toLowerCase()))
        const out = new Map<string, CurationFeature>()
        if (wanted.size === 0) return out
        // Synonyms live in one pipe-separated column: read the live features once and match here.
        const rows = yield* observedStatement("Feature", "the features a curator read (for synonyms)", sql<Record<string, unknown>>`SELECT * FROM lamina_feature WHERE branch = 1 AND dtype IS NOT NULL ORDER BY id`)
        for (const r of rows) {
          const f = curationFeature(r)
          for (const n of [f.name, ...f.synonyms]) if (wanted.has(n.toLowerCase()) && !out.has(n.toLowerCase())) out.set(n.toLowerCase(), f)
        }
        return out as ReadonlyMap<string, CurationFeature>
      }).pipe(failSql("Reading features")),
    lookup: (source, values, options) =>
      Effect.gen(function* () {
        const out = new Map<string, TermMatch>()
        const distinct = [...new Set(values)]
        if (distinct.length === 0) return out
        const types = source.type === undefined ? undefined : yield* typeIds(source.registry, source.type)
        if (types !== undefined && types.length === 0) return out
        const table = TABLE[source.registry]
        const col = source.field
        const ci = options?.caseInsensitive === true
        for (const batch of chunks(ci ? distinct.map((v) => v.toLowerCase()) : distinct, LOOKUP_BATCH)) {
          const rows = yield* observedStatement(
            source.registry,
            `the values a curator looked up in ${sourceText(source)}`,
            sql<{ readonly id: number; readonly v: string }>`SELECT id, ${sql(col)} AS v FROM ${sql(table)}
            WHERE ${ci ? sql`LOWER(${sql(col)})` : sql(col)} IN ${sql.in(batch)} AND branch = 1 AND is_type = ${encodeValue("bool", false)}
            ${types === undefined ? sql`` : sql`AND ${sql.in("type_id", types)}`} ORDER BY id`
          )
          for (const r of rows) {
            const key = ci ? String(r.v).toLowerCase() : String(r.v)
            if (!out.has(key)) out.set(key, { registry: source.registry, id: Number(r.id), value: String(r.v) })
          }
        }
        return out as ReadonlyMap<string, TermMatch>
      }).pipe(failSql(`Looking up values in ${sourceText(source)}`)),
    save: (source, values) =>
      provide(
        Effect.forEach(
          [...new Set(values)],
          (name) =>
            source.registry === "ULabel"
              ? Effect.asVoid(ULabel.create({ name, ...(source.type !== undefined ? { type: source.type } : {}) }))
              : Effect.asVoid(RecordRegistry.create({ name, ...(source.type !== undefined ? { type: source.type } : {}) })),
          { discard: true }
        )
      )
  }
  return service
})

/** The Curator over the instance's own registry. */
export const layer: Layer.Layer<Curator, never, SqlClient.SqlClient | Instance> = Layer.effect(Curator, make)

/** A Curator over another registry: `registry` provides its SqlClient and Instance (e.g. `Lamina.layer({ storage })` of a second instance). */
export const layerWith = <E, R>(registry: Layer.Layer<SqlClient.SqlClient | Instance, E, R>): Layer.Layer<Curator, E, R> =>
  Layer.provide(layer, registry)
