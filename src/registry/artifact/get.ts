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
import { undefinedFieldError } from "../access.js"
import { selectRows } from "../crud.js"
import { isBase62, UID_LENGTH } from "../uid.js"
import { ArtifactModel, type ArtifactRow } from "./model.js"

const showArgument = (v: unknown): string => (Array.isArray(v) ? JSON.stringify(v) : String(v))

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
      // JavaScript callers can pass anything: spreading null or a number would drop it and
      // match every artifact (and return the only one) instead of failing.
      if (typeof idOrFields !== "object" || idOrFields === null || Array.isArray(idOrFields))
        return yield* new InvalidArgument({
          message: `Artifact.get() takes a uid or an object of fields, e.g. Artifact.get({ key: "raw/a.csv" }); got ${showArgument(idOrFields)}.`
        })
      const undefinedField = undefinedFieldError("Artifact", idOrFields)
      if (undefinedField !== undefined) return yield* undefinedField
      // Versioned registries: prefer the latest version, then fall back to any match. Several
      // latest matches (two artifacts carrying one label, say) are MultipleResultsFound, never
      // an arbitrary pick.
      // (Through `unknown`: relating the spec type to the condition type is costly for the checker.)
      const spec = idOrFields as unknown as Record<string, unknown>
      const latest = yield* filter({ ...spec, is_latest: true } as unknown as Condition<typeof ArtifactModel>).oneOrNone()
      if (latest !== undefined) return latest
      return yield* filter(spec as unknown as Condition<typeof ArtifactModel>).one()
    })
