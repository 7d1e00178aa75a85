/**
 * After a dataset validated: link the saved artifact to the schema of each slot and its
 * categorical values as labels of their features — so `Artifact.get({ ulabels__name: "IFNG" })`
 * finds it. Labels are re-resolved in the artifact's own registry (the Curator may have
 * validated against another instance's), all in one transaction.
 *
 * @module
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import { sqlFailure } from "../db/failure.js"
import { ValidationError } from "../errors.js"
import { insertLink } from "../registry/annotate/features.js"
import { ArtifactModel } from "../registry/catalog.js"
import { ArtifactFeatures } from "../registry/declarations/artifact.js"
import { lockFor } from "../registry/locks.js"
import { linkArtifactSchemas } from "../registry/schema/artifactSchemas.js"
import { Curator, make } from "./Curator.js"
import { lookupIn, type CategoricalReport } from "./validateTable.js"

/** Link `artifactId` to `slots` and to the labels of `categoricals`. */
export const annotateArtifact = (
  artifactId: number,
  slots: ReadonlyArray<{ readonly slot: string; readonly schemaId: number }>,
  categoricals: ReadonlyArray<CategoricalReport>
) =>
  Effect.gen(function* () {
    const own = yield* make
    const links: Array<{ readonly table: string; readonly self: string; readonly other: string; readonly labelId: number; readonly featureId: number }> = []
    for (const c of categoricals) {
      const values = [...c.matches.keys()]
      const matches = yield* Effect.provideService(lookupIn(c.sources, values), Curator, own)
      const lost = values.filter((v) => !matches.has(v))
      if (lost.length > 0)
        return yield* new ValidationError({
          message: `${lost.length} validated term${lost.length === 1 ? " is" : "s are"} not in this instance's registry: ${lost.slice(0, 20).map((v) => `'${v}'`).join(", ")}\n    → save them here via .addNewFrom(${JSON.stringify(c.column)}) before saving the artifact`
        })
      for (const m of matches.values()) {
        const link = ArtifactModel.links[ArtifactFeatures.labelLinks[m.registry]]!
        links.push({ table: link.table, self: link.selfColumn, other: link.otherColumn, labelId: m.id, featureId: c.feature.id })
      }
    }
    const sql = yield* SqlClient.SqlClient
    yield* sql.withTransaction(
      Effect.gen(function* () {
        yield* lockFor([`lamina-features:${ArtifactModel.table}:${artifactId}`])
        yield* linkArtifactSchemas(artifactId, slots)
        for (const l of links) yield* insertLink(sql, l.table, l.self, l.other, artifactId, l.labelId, l.featureId)
      })
    )
  }).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(sqlFailure("Annotating a curated artifact")(e))))
