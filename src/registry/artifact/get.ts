/**
 * `Artifact.get`: by full uid, by uid stem (the latest version), or by fields (the latest
 * version first, as LaminDB does for versioned registries).
 *
 * @module
 */
import { Effect } from "effect"
import { DoesNotExist, InvalidArgument } from "../../errors.js"
import type { QuerySet } from "../../query/QuerySet.js"
import type { Condition, FilterSpec } from "../../query/types.js"
import { getArgumentError } from "../access.js"
import { selectRows } from "../crud.js"
import { isBase62, UID_LENGTH } from "../uid.js"
import { ArtifactModel, type ArtifactRow } from "./model.js"

/** `get` over `filter`, wrapping rows with `wrap`. */
export const artifactGetter =
  <A>(filter: (...conditions: ReadonlyArray<Condition<typeof ArtifactModel>>) => QuerySet<A, typeof ArtifactModel>, wrap: (row: ArtifactRow) => A) =>
  (idOrFields: string | FilterSpec<typeof ArtifactModel>) =>
    Effect.gen(function* () {
      if (typeof idOrFields === "string") {
        const uid = idOrFields
        const stemLength = UID_LENGTH.artifact - 4
        if (!isBase62(uid) || (uid.length !== UID_LENGTH.artifact && uid.length !== stemLength))
          return yield* new InvalidArgument({
            message: `'${uid}' is not an artifact uid: pass the ${UID_LENGTH.artifact}-character uid, its ${stemLength}-character stem, or { key }.`
          })
        const rows =
          uid.length === UID_LENGTH.artifact
            ? yield* selectRows(ArtifactModel, (sql) => sql`uid = ${uid}`)
            : yield* selectRows(ArtifactModel, (sql) => sql`uid >= ${uid + "0000"} AND uid <= ${uid + "zzzz"}`, "ORDER BY is_latest DESC, branch DESC, uid DESC LIMIT 1")
        if (rows[0]) return wrap(rows[0] as unknown as ArtifactRow)
        return yield* new DoesNotExist({ registry: "Artifact", message: `No artifact with uid '${uid}'. List artifacts with 'lamina ls artifact'.` })
      }
      const badArgument = getArgumentError("Artifact", idOrFields, 'Artifact.get({ key: "raw/a.csv" })')
      if (badArgument !== undefined) return yield* badArgument
      // Versioned registries: prefer the latest version, then fall back to any match. Several
      // latest matches (two artifacts carrying one label, say) are MultipleResultsFound, never
      // an arbitrary pick.
      // (Through `unknown`: relating the spec type to the condition type is costly for the checker.)
      const spec = idOrFields as unknown as Record<string, unknown>
      const latest = yield* filter({ ...spec, is_latest: true } as unknown as Condition<typeof ArtifactModel>).oneOrNone()
      if (latest !== undefined) return latest
      return yield* filter(spec as unknown as Condition<typeof ArtifactModel>).one()
    })
