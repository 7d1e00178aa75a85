/**
 * A save's registry work in one step where the backend allows: the common case (a new
 * family: no head at the key, no claimed slot, no version tag, no writes of its own in the
 * transaction). Everything else keeps the Effect transaction in `save.ts`; the SQL is the same
 * as `family.ts`' and `crud.ts`' statements, so the paths cannot disagree.
 *
 * - SQLite: run synchronously on the raw connection. Through @effect/sql each statement costs
 *   tens of µs of Effect operations (compile, span, permit, error mapping) and each transaction
 *   more (a scope, a fiber-local context), while better-sqlite3 runs a small save's whole
 *   registration in a few hundred µs of SQLite's own work. Every statement runs holding the
 *   connection's permit (as @effect/sql would run it), in a write transaction shared with the
 *   saves of concurrent fibers (`db/sqliteSync.ts`' `makeShared`): on disk a commit costs more
 *   than a registration.
 * - Postgres: the locks, the lookups and the insert as one implicit transaction in one round
 *   trip (`findOrInsertFirstInOneTrip`) instead of four (BEGIN, locks, statement, COMMIT).
 *
 * Never inside another fiber's or a caller's transaction: a save called inside an open
 * transaction takes the Effect path and joins it.
 *
 * @module
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { Context, Effect } from "effect"
import { directFailure } from "../../db/failure.js"
import { sqliteDirect, type SqliteDirect } from "../../db/sqlite.js"
import { busySync } from "../../db/sqliteSync.js"
import type { IntegrityError, StorageError } from "../../errors.js"
import type { ContentHash } from "../../storage/hash.js"
import { decodeRow, encodeRow, type Row } from "../model.js"
import { findOrInsertFirstInOneTrip, keyHeadLookup, sameContentLookup } from "./family.js"
import { ArtifactModel, type ArtifactRow } from "./model.js"

/** What the direct registration did: created or found the row, or left it to the Effect path. */
export type DirectOutcome =
  | { readonly kind: "created" | "existing"; readonly artifact: ArtifactRow }
  /** The key has a head (a new version): nothing was written, take the Effect path. */
  | { readonly kind: "versioned" }

const asRow = (raw: unknown): ArtifactRow => decodeRow(ArtifactModel, raw as Record<string, unknown>) as unknown as ArtifactRow

// `byHash` and `headOfKey`'s statements (family.ts), as better-sqlite3 takes them.
const BY_HASH = sameContentLookup("").render("sqlite").text
const HEAD_OF_KEY = keyHeadLookup(0, "").render("sqlite").text

// Inside a transaction (ours or a caller's), statements must join it: the Effect path does.
const inTransaction = (context: Context.Context<never>): boolean => Context.getOption(context, SqlClient.TransactionConnection)._tag === "Some"

/** The raw connection of `client` when a direct call may use it now; undefined otherwise. */
const usable = (client: SqlClient.SqlClient, context: Context.Context<never>): SqliteDirect | undefined => {
  const d = sqliteDirect(client)
  return d === undefined || inTransaction(context) ? undefined : d
}

/**
 * `headOfKey` read directly (undefined: no head), or `otherwise` when the client is not a
 * usable SQLite client. Reads take no permit when no transaction is open on the connection: a
 * read in WAL mode never waits for a lock, and a synchronous call cannot interleave with another fiber.
 */
export const headOfKeyDirect = <E, R>(
  client: SqlClient.SqlClient,
  storageId: number,
  key: string,
  otherwise: Effect.Effect<ArtifactRow | undefined, E, R>
): Effect.Effect<ArtifactRow | undefined, StorageError | IntegrityError | E, R> =>
  Effect.withFiberRuntime((fiber) => {
    const d = usable(client, fiber.currentContext)
    if (d === undefined) return otherwise
    const body = Effect.try({
      try: () => {
        const raw = d.prepare(HEAD_OF_KEY).get(storageId, key)
        return raw === undefined ? undefined : asRow(raw)
      },
      catch: directFailure("Reading Artifact records")
    })
    return busySync(d) ? d.semaphore.withPermits(1)(body) : body
  })

/**
 * Register a new family's first version in one step (a synchronous write transaction on
 * SQLite, one round trip on Postgres): the same-hash lookup (and the key's head, when `key` is
 * given), then the insert of `values`. Undefined inside a transaction (take the Effect path).
 * `behind`: a short step's save, committed behind on SQLite (`db/writeBehind.ts`).
 */
export const registerNewDirect = (
  client: SqlClient.SqlClient,
  content: ContentHash,
  storageId: number,
  key: string | null,
  values: Row,
  behind: boolean
): Effect.Effect<DirectOutcome | undefined, StorageError | IntegrityError, SqlClient.SqlClient> =>
  Effect.withFiberRuntime((fiber) => {
    if (inTransaction(fiber.currentContext)) return Effect.succeed(undefined)
    const d = sqliteDirect(client)
    if (d === undefined)
      return findOrInsertFirstInOneTrip(content, storageId, key, values).pipe(
        Effect.map((found): DirectOutcome | undefined =>
          found === undefined
            ? undefined
            : found.same !== undefined
              ? { kind: "existing", artifact: found.same }
              : found.inserted !== undefined
                ? { kind: "created", artifact: found.inserted }
                : { kind: "versioned" }
        )
      )
    // Concurrent saves (a fan-out of them) register in one shared transaction: a commit each
    // cost more than the registration itself.
    return d.shared(() => registerSync(d, content, storageId, key, values), directFailure("Saving an artifact"), behind)
  })

/** The registration's statements, inside the shared transaction (`registerNewDirect`). */
const registerSync = (d: SqliteDirect, content: ContentHash, storageId: number, key: string | null, values: Row): DirectOutcome => {
  // Empty files never match by hash (byHash).
  const same = content.size === 0 ? undefined : d.prepare(BY_HASH).get(content.hash)
  if (same !== undefined) return { kind: "existing", artifact: asRow(same) }
  if (key !== null && d.prepare(HEAD_OF_KEY).get(storageId, key) !== undefined) return { kind: "versioned" }
  const encoded = encodeRow(ArtifactModel, values)
  const cols = Object.keys(encoded)
  const row = d.prepare(`INSERT INTO lamina_artifact (${cols.map((c) => `"${c}"`).join(", ")}) VALUES (${cols.map(() => "?").join(", ")}) RETURNING *`).get(...cols.map((c) => encoded[c]))
  return { kind: "created", artifact: asRow(row) }
}
