/**
 * `AnnDataCurator`: validate an AnnData (in memory, or an `.h5ad` / AnnData zarr artifact read
 * backed: only obs and var, never X) against a composite schema whose slots are `obs` (a
 * DataFrame schema) and `var` (a DataFrame schema, or a registry field the var index must be
 * in, e.g. `Record[Gene].name` for Ensembl ids). uns/obsm/… are not validated unless a slot
 * names them — and only obs and var slots are supported.
 *
 * ```ts
 * const curator = yield* AnnDataCurator.make(adata, anndataSchema)
 * const artifact = yield* curator.saveArtifact({ description: "curated AnnData" })
 * ```
 *
 * @module
 */
import type { Table } from "apache-arrow"
import { Effect } from "effect"
import { InvalidArgument, type DoesNotExist, type MultipleResultsFound, type IntegrityError, type StorageError, type ValidationError, type ValidationProblem } from "../errors.js"
import type { AnnData } from "../formats/anndata/anndata.js"
import { indexColumnName, indexValues } from "../formats/anndata/dataframe-index.js"
import { Artifact } from "../registry/Artifact.js"
import type { ArtifactEnv } from "../registry/artifact/options.js"
import { DATASET_SLOT } from "../registry/schema/artifactSchemas.js"
import type { SchemaDefinition } from "../registry/schema/definition.js"
import type { Schema } from "../registry/Schema.js"
import { annotateArtifact } from "./annotateArtifact.js"
import { Curator, sourceText } from "./Curator.js"
import { failOnProblems, type SaveArtifactOptions } from "./DataFrameCurator.js"
import { indexNotValidated, termsLine } from "./messages.js"
import { validateTable, type CategoricalReport, type TableReport } from "./validateTable.js"

/** The slots an AnnData schema can have. */
export const ANNDATA_SLOTS = ["obs", "var"] as const

/** Validate the index of `table` against a registry-field schema (`Record[Gene].name`). */
const validateIndex = (table: Table, def: SchemaDefinition, slot: string) =>
  Effect.gen(function* () {
    const curator = yield* Curator
    const itype = def.itype
    if (itype === null || itype._tag !== "Field") return yield* Effect.die(new Error("validateIndex needs a registry-field itype"))
    const source = { registry: itype.registry, ...(itype.type !== undefined ? { type: itype.type } : {}), field: itype.field }
    const distinct = [...new Set(indexValues(table))]
    const matches = yield* curator.lookup(source, distinct)
    const missing = distinct.filter((v) => !matches.has(v))
    const logs = [`${slot} index is validated against ${sourceText(source)}`, termsLine(distinct.length - missing.length, distinct.length, true, itype.field)]
    const problems: Array<ValidationProblem> = []
    if (missing.length > 0) {
      logs.push(termsLine(missing.length, distinct.length, false, itype.field, missing))
      problems.push(indexNotValidated(slot, sourceText(source), missing))
    }
    const index = { source, values: distinct.filter((v) => matches.has(v)) }
    return { slot, problems, features: [], categoricals: [], columns: [], index, logs } satisfies TableReport
  })

/** Validate one slot's table. */
const validateSlot = (table: Table, def: SchemaDefinition, slot: string) => {
  const index = indexColumnName(table)
  return def.itype !== null && def.itype._tag === "Field" ? validateIndex(table, def, slot) : validateTable(table, def, slot, index === undefined ? [] : [index])
}

/** An AnnData curator. */
export interface AnnDataCurator {
  readonly definition: SchemaDefinition
  /** Validate every slot; a `ValidationError` carries the problems of all of them. */
  readonly validate: () => Effect.Effect<ReadonlyArray<TableReport>, ValidationError | StorageError | IntegrityError>
  /** Validate, then save (or, for an artifact, keep) and link the composite schema, each slot's schema and the labels. */
  readonly saveArtifact: (options?: SaveArtifactOptions) => Effect.Effect<Artifact, InvalidArgument | ValidationError | StorageError | IntegrityError | DoesNotExist | MultipleResultsFound, ArtifactEnv>
}

const make = (data: AnnData | Artifact, schema: Schema | string) =>
  Effect.gen(function* () {
    const curator = yield* Curator
    const definition = yield* curator.schema(schema)
    const slots = Object.keys(definition.components)
    if (slots.length === 0)
      return yield* new InvalidArgument({ message: `Schema '${definition.schema.name ?? definition.schema.uid}' has no slots: an AnnData schema is composite, Schema.create({ otype: "AnnData", components: { obs, var } }).` })
    const unsupported = slots.filter((s) => !(ANNDATA_SLOTS as ReadonlyArray<string>).includes(s))
    if (unsupported.length > 0)
      return yield* new InvalidArgument({ message: `AnnDataCurator validates the slots obs and var; this schema also has ${unsupported.map((s) => `'${s}'`).join(", ")}.` })
    const source = data instanceof Artifact ? data : undefined
    // From an artifact only obs and var are read (backed), never X.
    const tables: Record<string, Table> =
      source !== undefined
        ? yield* Effect.scoped(
            Effect.gen(function* () {
              const backed = yield* source.openAnnData()
              return { obs: yield* backed.obs(), var: yield* backed.var() }
            })
          )
        : { obs: (data as AnnData).obs, var: (data as AnnData).var }
    const validate = () =>
      Effect.provideService(
        Effect.gen(function* () {
          const reports: Array<TableReport> = []
          for (const slot of slots) {
            const report = yield* validateSlot(tables[slot]!, definition.components[slot]!, slot)
            for (const line of report.logs) yield* Effect.logInfo(line)
            reports.push(report)
          }
          return yield* failOnProblems(reports)
        }),
        Curator,
        curator
      )
    const self: AnnDataCurator = {
      definition,
      validate,
      saveArtifact: (options = {}) =>
        Effect.gen(function* () {
          const reports = yield* validate()
          const artifact =
            source ??
            (yield* Effect.flatMap(
              Artifact.fromAnnData(data as AnnData, {
                ...(options.key !== undefined ? { key: options.key } : {}),
                ...(options.description !== undefined ? { description: options.description } : {})
              }),
              (p) => p.save()
            ))
          const links = [{ slot: DATASET_SLOT, schemaId: definition.schema.id }, ...slots.map((slot) => ({ slot, schemaId: definition.components[slot]!.schema.id }))]
          yield* annotateArtifact(artifact.id, links, reports.flatMap((r): ReadonlyArray<CategoricalReport> => r.categoricals))
          return artifact
        })
    }
    return self
  })

/** `AnnDataCurator.make(adataOrArtifact, compositeSchemaOrName)`. */
export const AnnDataCurator = { make }
