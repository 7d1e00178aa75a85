/**
 * Orphans under `.lamina/`: objects no registry row owns (the bytes of a permanently deleted
 * artifact whose removal a crash interrupted, or of a save killed between writing and
 * registering), and temporary files of killed saves. An object belongs to a virtual artifact of
 * this storage (`.lamina/{uid}{suffix}`, a folder `.lamina/{uid}/…`) or to a version slot a
 * save in flight has claimed.
 *
 * @module
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import { sqlFailure } from "../registry/crud.js"
import { UID_LENGTH } from "../registry/uid.js"
import { parseTempName } from "../storage/fileio.js"
import { ObjectStore } from "../storage/ObjectStore.js"
import { openPaths, pidAlive } from "./holders.js"
import { INTERNAL, type InternalEntry, type StoredArtifact } from "./inventory.js"
import type { Problem } from "./problem.js"

/** A temporary file or folder of a save. */
export interface TempEntry extends InternalEntry {
  /** Milliseconds since it was last written. */
  readonly ageMs: number
}

/** What is under `.lamina/` without an owner. */
export interface Orphans {
  /** Objects no row or slot owns (not temporary files). */
  readonly objects: ReadonlyArray<InternalEntry & { readonly ageMs: number }>
  /** Temporary files whose writer is gone. */
  readonly temps: ReadonlyArray<TempEntry>
}

const ageOf = (entry: InternalEntry, now: number): number => (entry.modifiedAt === undefined ? Number.POSITIVE_INFINITY : now - entry.modifiedAt.getTime())

/** Uids of version slots claimed by saves in flight. */
const claimedSlots = Effect.flatMap(SqlClient.SqlClient, (sql) => sql<{ readonly uid: string }>`SELECT uid FROM lamina_artifact_slot`).pipe(
  Effect.map((rows) => new Set(rows.map((r) => r.uid))),
  Effect.catchTag("SqlError", (e) => Effect.fail(sqlFailure("Reading version slots")(e)))
)

/**
 * Entries of `.lamina/` that nothing owns. `artifacts` are this storage's artifacts (read after
 * the listing was taken). Temporary files whose writer is alive (its pid, or an open handle on
 * Linux) are left out: they belong to a save in progress.
 */
export const findOrphans = (internal: ReadonlyMap<string, InternalEntry>, artifacts: ReadonlyArray<StoredArtifact>) =>
  Effect.gen(function* () {
    const store = yield* ObjectStore
    const owned = new Set<string>()
    for (const a of artifacts) if (a.virtual && a.storageKey.startsWith(`${INTERNAL}/`)) owned.add(a.storageKey.slice(INTERNAL.length + 1))
    const slots = yield* claimedSlots
    const now = Date.now()
    const objects: Array<InternalEntry & { readonly ageMs: number }> = []
    const temps: Array<TempEntry> = []
    let held: ReadonlySet<string> | undefined
    for (const entry of internal.values()) {
      if (owned.has(entry.name)) continue
      const temp = parseTempName(entry.name)
      if (temp !== undefined) {
        if (temp.pid !== undefined && pidAlive(temp.pid) && store.type === "local") continue
        if (store.type === "local") {
          held ??= openPaths()
          if (entry.objects.some((o) => held!.has(store.uri(o.key)))) continue
        }
        temps.push({ ...entry, ageMs: ageOf(entry, now) })
        continue
      }
      if (slots.has(entry.name.slice(0, UID_LENGTH.artifact))) continue
      objects.push({ ...entry, ageMs: ageOf(entry, now) })
    }
    return { objects, temps } satisfies Orphans
  })

const ageText = (ms: number): string =>
  !Number.isFinite(ms) ? "of unknown age" : ms < 60_000 ? `${Math.round(ms / 1000)} s old` : ms < 3_600_000 ? `${Math.round(ms / 60_000)} min old` : `${(ms / 3_600_000).toFixed(1)} h old`

/** The problems orphans are, given the minimum age `--fix` and `gc` wait for. */
export const orphanProblems = (orphans: Orphans, uri: (key: string) => string, minAgeMs: number): ReadonlyArray<Problem> => [
  ...orphans.temps.map(
    (t): Problem => ({
      kind: "temp-file",
      subject: t.key,
      message: `temporary file '${uri(t.key)}' (${t.size} bytes, ${ageText(t.ageMs)}) was left by a save that did not finish; no live process holds it. ${
        t.ageMs >= minAgeMs ? "'lamina check --fix' removes it." : `'lamina check --fix' removes it once it is older than ${Math.round(minAgeMs / 1000)} s.`
      }`,
      repair: "fix"
    })
  ),
  ...orphans.objects.map(
    (o): Problem => ({
      kind: "orphan-object",
      subject: o.key,
      message: `'${uri(o.key)}' (${o.size} bytes, ${ageText(o.ageMs)}) belongs to no artifact: the bytes of a permanently deleted artifact or of a save that was killed before it registered. ${
        o.ageMs >= minAgeMs ? "'lamina gc' removes it." : `'lamina gc' removes it once it is older than ${Math.round(minAgeMs / 1000)} s.`
      }`,
      repair: "gc"
    })
  )
]
