/**
 * The curation behind `Artifact.fromTable(table, { key, schema })`: validate the table against
 * the schema through the Curator (every problem in one `ValidationError`), and once saved,
 * link the artifact to the schema (slot `columns`) and its categorical values as labels.
 *
 * @module
 */
import { Effect, Layer } from "effect"
import { InvalidArgument } from "../errors.js"
import { TableCuration } from "../registry/artifact/curation.js"
import { annotateArtifact } from "./annotateArtifact.js"
import { Curator } from "./Curator.js"
import { COLUMNS_SLOT, failOnProblems } from "./DataFrameCurator.js"
import { validateTable } from "./validateTable.js"

/** `TableCuration` over the Curator in context. */
export const tableCurationLayer: Layer.Layer<TableCuration, never, Curator> = Layer.effect(
  TableCuration,
  Effect.map(Curator, (curator) => ({
    prepare: (table, schema) =>
      Effect.provideService(
        Effect.gen(function* () {
          const definition = yield* curator.schema(schema as Parameters<typeof curator.schema>[0])
          if (Object.keys(definition.components).length > 0)
            return yield* new InvalidArgument({ message: `Schema '${definition.schema.name ?? definition.schema.uid}' is composite: a table is validated against a DataFrame schema.` })
          const report = yield* validateTable(table, definition, COLUMNS_SLOT)
          for (const line of report.logs) yield* Effect.logInfo(line)
          yield* failOnProblems([report])
          return (artifactId: number) => annotateArtifact(artifactId, [{ slot: COLUMNS_SLOT, schemaId: definition.schema.id }], report.categoricals)
        }),
        Curator,
        curator
      )
  }))
)
