/**
 * Version families (every versioned registry of the catalog: artifacts, transforms, and any
 * declared later): each family with a member outside trash has exactly one `is_latest`, on its
 * newest such member; a family entirely in trash has none. `--fix` re-derives the flags.
 *
 * @module
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import { catalog } from "../registry/catalog.js"
import { sqlFailure } from "../registry/crud.js"
import { refreshFamilyLatest, stemLength } from "../registry/latest.js"
import type { Model } from "../registry/model.js"
import type { Problem } from "./problem.js"

/** A family whose flags are wrong. */
export interface BadFamily {
  readonly model: Model
  readonly stem: string
  readonly latest: number
  readonly live: number
  readonly head: string | null
  readonly flagged: string | null
}

/** The versioned registries of the catalog. */
export const versionedModels = (): ReadonlyArray<Model> => Object.values(catalog as Readonly<Record<string, Model>>).filter((m) => m.versioned)

interface FamilyRow {
  readonly stem: string
  readonly latest: number | string
  readonly live: number | string
  readonly head: string | null
  readonly flagged: string | null
}

/** Families of `model` whose `is_latest` flags are wrong, and how many families it has. */
const badFamiliesOf = (model: Model) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    // A literal, not a bound parameter: Postgres matches GROUP BY expressions textually.
    const n = sql.literal(String(stemLength(model)))
    // One grouped scan; `head` is the member that should carry the flag, `flagged` one that does.
    const rows = yield* sql<FamilyRow>`
      SELECT substr(uid, 1, ${n}) AS stem,
        SUM(CASE WHEN is_latest THEN 1 ELSE 0 END) AS latest,
        SUM(CASE WHEN branch <> -1 THEN 1 ELSE 0 END) AS live,
        MAX(CASE WHEN branch <> -1 THEN uid END) AS head,
        MAX(CASE WHEN is_latest THEN uid END) AS flagged
      FROM ${sql(model.table)}
      GROUP BY substr(uid, 1, ${n})
      HAVING SUM(CASE WHEN is_latest THEN 1 ELSE 0 END) <> (CASE WHEN SUM(CASE WHEN branch <> -1 THEN 1 ELSE 0 END) > 0 THEN 1 ELSE 0 END)
        OR MAX(CASE WHEN is_latest THEN uid END) <> MAX(CASE WHEN branch <> -1 THEN uid END)`
    const total = yield* sql<{ readonly n: number | string }>`SELECT COUNT(DISTINCT substr(uid, 1, ${n})) AS n FROM ${sql(model.table)}`
    return {
      families: Number(total[0]?.n ?? 0),
      bad: rows.map((r): BadFamily => ({ model, stem: r.stem, latest: Number(r.latest), live: Number(r.live), head: r.head, flagged: r.flagged }))
    }
  }).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(sqlFailure(`Checking ${model.name} version families`)(e))))

/** Every versioned registry's families with wrong flags, and the number of families checked. */
export const checkFamilies = Effect.gen(function* () {
  const results = yield* Effect.forEach(versionedModels(), badFamiliesOf)
  return { families: results.reduce((n, r) => n + r.families, 0), bad: results.flatMap((r) => r.bad) }
})

/** A wrong family as a problem. */
export const familyProblem = (f: BadFamily): Problem => ({
  kind: "latest-flag",
  subject: `${f.model.name} ${f.stem}`,
  message:
    f.latest === 0
      ? `${f.model.name} family ${f.stem}: no version is marked latest; it should be ${f.head}. 'lamina check --fix' re-derives it.`
      : f.live === 0
        ? `${f.model.name} family ${f.stem}: every version is in trash, yet ${f.latest} carry is_latest. 'lamina check --fix' clears them.`
        : f.latest > 1
          ? `${f.model.name} family ${f.stem}: ${f.latest} versions are marked latest; only ${f.head} should be. 'lamina check --fix' re-derives it.`
          : `${f.model.name} family ${f.stem}: ${f.flagged} is marked latest, but the newest version outside trash is ${f.head}. 'lamina check --fix' re-derives it.`,
  repair: "fix"
})

/** Re-derive the flags of a wrong family. */
export const fixFamily = (f: BadFamily) => refreshFamilyLatest(f.model, f.stem)
