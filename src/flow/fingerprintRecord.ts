/**
 * Code fingerprints in the registry: each distinct fingerprint's files and packages are stored
 * once (`lamina_code_fingerprint`), so a run keeps only the fingerprint's hash in its cache
 * parts and `why` can still say which file or package changed between two runs.
 *
 * @module
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import { sqlFailure } from "../registry/crud.js"
import { Tracker } from "../tracker/Tracker.js"
import type { CodeFingerprint } from "./codeFingerprint.js"

/** Store `fp` in the connected registry unless this process already did (the Tracker remembers). */
export const recordFingerprint = (fp: CodeFingerprint) => Effect.flatMap(Tracker, (tracker) => tracker.recordFingerprint(fp))

const parseMap = (v: unknown): Record<string, string> => {
  const o = typeof v === "string" ? (JSON.parse(v) as unknown) : v
  return typeof o === "object" && o !== null ? (o as Record<string, string>) : {}
}

/** The stored fingerprints among `hashes`, by hash. */
export const loadFingerprints = (hashes: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const out = new Map<string, Pick<CodeFingerprint, "files" | "packages">>()
    if (hashes.length === 0) return out
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<{ readonly hash: string; readonly files: unknown; readonly packages: unknown }>`SELECT hash, files, packages FROM lamina_code_fingerprint WHERE ${sql.in("hash", [...new Set(hashes)])}`
    for (const r of rows) out.set(r.hash, { files: parseMap(r.files), packages: parseMap(r.packages) })
    return out
  }).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(sqlFailure("Reading code fingerprints")(e))))
