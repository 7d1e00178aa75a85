/**
 * `check`: every integrity check in one pass, and with `fix` the safe repairs — remove temp
 * files of killed saves (older than `minAgeMs`, held by no live process), re-derive
 * `is_latest`, end dead runs `aborted`, delete link rows that point at nothing. It never deletes
 * a registered artifact's data; orphan objects are `gc`'s.
 *
 * @module
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import { Instance } from "../instance/Instance.js"
import { sqlFailure } from "../registry/crud.js"
import { ObjectStore } from "../storage/ObjectStore.js"
import { verifyHashes, type DeepProgressSink } from "./deep.js"
import { checkFamilies, familyProblem, fixFamily } from "./families.js"
import { artifactsOfStorage, listInternal } from "./inventory.js"
import { checkObjects } from "./objects.js"
import { findOrphans, orphanProblems } from "./orphans.js"
import type { CheckReport, Problem } from "./problem.js"
import { checkReferences, danglingProblem, deleteDanglingLinks } from "./references.js"
import { deadRunProblem, endDeadRuns, findDeadRuns } from "./runs.js"

/** One hour: what `--fix` and `gc` wait before removing a file no row owns. */
export const DEFAULT_MIN_AGE_MS = 3_600_000

/** Options of `check`. */
export interface CheckOptions {
  /** Hash every stored byte and compare with the recorded hashes. */
  readonly deep?: boolean
  /** Repair what is safe to repair. */
  readonly fix?: boolean
  /** Temporary files younger than this are left alone by `fix` (default one hour). */
  readonly minAgeMs?: number
  /** Progress of `deep`. */
  readonly onProgress?: DeepProgressSink
}

const runCount = Effect.flatMap(SqlClient.SqlClient, (sql) => sql<{ readonly n: number | string }>`SELECT COUNT(*) AS n FROM lamina_run`).pipe(
  Effect.map((rows) => Number(rows[0]?.n ?? 0)),
  Effect.catchTag("SqlError", (e) => Effect.fail(sqlFailure("Counting runs")(e)))
)

/** Check the connected instance (and repair with `fix`); the report names every problem. */
export const check = (options: CheckOptions = {}) =>
  Effect.gen(function* () {
    const instance = yield* Instance
    const store = yield* ObjectStore
    const minAgeMs = options.minAgeMs ?? DEFAULT_MIN_AGE_MS
    // The listing first, then the rows: an object saved in between then has its row, and is
    // not mistaken for an orphan; a row without a listed object is looked up directly.
    const internal = yield* listInternal(instance.settings)
    const artifacts = yield* artifactsOfStorage(instance.storage.id)
    const objects = yield* checkObjects(artifacts, internal)
    const deep = options.deep ? yield* verifyHashes(objects.present, options.onProgress ? { onProgress: options.onProgress } : {}) : undefined
    const orphans = yield* findOrphans(internal, artifacts)
    const families = yield* checkFamilies
    const dead = yield* findDeadRuns
    const dangling = yield* checkReferences

    const problems: Array<Problem> = [...objects.problems, ...(deep?.problems ?? [])]
    const fixed: Array<Problem> = []
    const repaired = (p: Problem, done: boolean) => void (done ? fixed : problems).push(p)

    const orphanList = orphanProblems(orphans, store.uri, minAgeMs)
    for (const [i, t] of orphans.temps.entries()) {
      const removable = options.fix === true && t.ageMs >= minAgeMs
      if (removable) yield* store.remove(t.key)
      repaired(orphanList[i]!, removable)
    }
    problems.push(...orphanList.slice(orphans.temps.length))
    for (const f of families.bad) {
      if (options.fix) yield* fixFamily(f)
      repaired(familyProblem(f), options.fix === true)
    }
    const ended = options.fix && dead.length > 0 ? new Set(yield* endDeadRuns) : new Set<number>()
    for (const r of dead) repaired(deadRunProblem(r), ended.has(r.id))
    for (const d of dangling) {
      const removable = options.fix === true && d.reference.link
      if (removable) yield* deleteDanglingLinks(d)
      repaired(danglingProblem(d), removable)
    }
    return {
      deep: options.deep === true,
      counts: {
        artifacts: artifacts.length,
        objects: [...internal.values()].reduce((n, e) => n + e.objects.length, 0),
        runs: yield* runCount,
        families: families.families,
        bytesVerified: deep?.bytes ?? 0,
        unverifiable: deep?.unverifiable ?? 0
      },
      problems,
      fixed
    } satisfies CheckReport
  })
