/**
 * The save protocol: choose the uid, write the bytes to their final storage key through a
 * temporary name (hashing as they are copied), then register in one transaction that
 * deduplicates by hash, re-reads the version family, inserts the row and moves `is_latest`.
 * A failure before the commit removes the written file and the claimed slot; one after it (an
 * interruption while COMMIT is in flight) leaves both with the row: the row never exists
 * without its bytes. `inRegister` writes what belongs to a new row (feature values given at
 * creation) in that same transaction, so a failure there leaves no artifact either.
 *
 * @module
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { Cause, Effect, Option } from "effect"
import { IntegrityError, InvalidArgument, type StorageError } from "../../errors.js"
import { currentRun } from "../../flow/CurrentRun.js"
import { Instance } from "../../instance/Instance.js"
import type { ContentHash } from "../../storage/hash.js"
import { ObjectStore, type FolderSummary } from "../../storage/ObjectStore.js"
import { isS3Uri } from "../../storage/s3uri.js"
import { insertRow, now, selectRows, sqlFailure, updateRow } from "../crud.js"
import { encodeValue, type Row } from "../model.js"
import { ownFilesProblem } from "../ownFiles.js"
import { checkSource } from "../sourceGuard.js"
import { newFamilyUid, splitUid, UID_LENGTH } from "../uid.js"
import { byStorageKeyHash, claimSlot, familyOf, findOrInsertFirst, headOfKey, lockFor, mayHaveRow, nextFreeUid, refreshLatest, releaseSlot, saveLocks } from "./family.js"
import { headOfKeyDirect, registerNewDirect } from "./direct.js"
import { ArtifactModel, type ArtifactRow } from "./model.js"
import { deleteArtifact } from "./remove.js"
import type { PendingSource } from "./options.js"
import { formatOfRow, isFolderRow, labelOf, storageKeyOf, virtualStorageKey, type ArtifactView } from "./paths.js"
import { storedStateNow } from "./stored.js"

type SaveOutcome = { readonly kind: "created" | "existing"; readonly artifact: ArtifactRow }

const stemOf = (a: ArtifactRow): string => splitUid(a.uid).stem

const viewOf = (a: ArtifactRow): ArtifactView => ({ ...a, isFolder: isFolderRow(a), storageKey: storageKeyOf(a), format: formatOfRow(a), label: labelOf(a), stem: stemOf(a) })

/** Writes run inside the registering transaction of a newly created row, given its id. */
export type InRegister = (artifactId: number) => Effect.Effect<void, StorageError | IntegrityError | InvalidArgument, SqlClient.SqlClient>

/**
 * Copy (or hash in place), deduplicate, version and register `pending`; the stored row and
 * whether it was created (false: the same content was registered before).
 */
export const saveArtifactOutcome = (pending: PendingSource, inRegister?: InRegister) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const store = yield* ObjectStore
    const instance = yield* Instance
    const run = yield* currentRun
    const { options } = pending
    const storageId = instance.storage.id

    const own = ownFilesProblem(pending.localPath, instance.settings)
    if (own !== undefined) return yield* own
    // Two concurrent runs saving from one path may each have saved the other's bytes: refused.
    const source = isS3Uri(pending.localPath) ? ({ _tag: "ok" } as const) : yield* checkSource(pending.localPath)
    if (source._tag === "conflict") {
      for (const c of source.completed) yield* withdrawRun(c.runId, c.message)
      return yield* source.error
    }

    // A path already inside the storage root is registered in place, without a copy.
    const inPlaceKey = store.keyOf(pending.localPath)
    if (inPlaceKey !== undefined && inPlaceKey.startsWith(".lamina/"))
      return yield* new InvalidArgument({ message: `'${pending.localPath}' is inside Lamina's own '.lamina/' folder: load that artifact by uid instead.` })
    if (inPlaceKey !== undefined && options.key !== undefined && options.key !== inPlaceKey)
      return yield* new InvalidArgument({
        message: `'${pending.localPath}' is already in storage at key '${inPlaceKey}': leave out the key or pass '${inPlaceKey}'.`
      })
    const key = inPlaceKey ?? options.key ?? null
    if (key === null && options.description === undefined && Option.isNone(run) && options.revises === undefined)
      return yield* new InvalidArgument({ message: "Pass one of key, run or description as a parameter" })

    // Choose the uid before writing so the bytes go straight to their final name. A new version
    // claims its slot first: concurrent writers of one family each get their own slot (and
    // storage key), and commit in any order without moving bytes. A new family's stem is random.
    // A local store moves a file with one rename, so there the key's head is read only inside
    // the registering transaction, and a new version's bytes move to its slot there: a read
    // (on Postgres a round trip) less for every save of a new key.
    const revises =
      options.revises ?? (key === null || store.type === "local" ? undefined : yield* headOfKeyDirect(sql, storageId, key, headOfKey(storageId, key)))
    const virtual = inPlaceKey === undefined
    const claimed = virtual && revises ? yield* claimSlot(stemOf(revises)) : undefined
    const guessUid = claimed ?? newFamilyUid(UID_LENGTH.artifact)
    let written: string | undefined = virtual ? virtualStorageKey(guessUid, pending.suffix, pending.isFolder) : undefined
    let slotHeld = claimed !== undefined
    // The uid of the row being committed, once a commit may follow: a failure from then on (an
    // interruption while COMMIT is in flight ends the save as interrupted although its row
    // exists) must not take back the bytes under that row.
    let committing: string | undefined

    const upload: Effect.Effect<ContentHash & Partial<FolderSummary>, StorageError> = virtual
      ? pending.isFolder
        ? store.putFolder(pending.localPath, written!)
        : store.putFile(pending.localPath, written!)
      : pending.isFolder
        ? store.hashFolder(inPlaceKey)
        : store.hashObject(inPlaceKey)

    const rowValues = (content: ContentHash & Partial<FolderSummary>, uid: string, rowKey: string | null): Row => {
      const t = now()
      return {
        uid,
        key: rowKey,
        description: options.description ?? null,
        storage_id: storageId,
        suffix: pending.suffix,
        kind: options.kind ?? null,
        otype: options.otype ?? null,
        size: content.size,
        hash: content.hash,
        hash_type: content.hash_type,
        n_files: content.n_files ?? 1,
        n_observations: options.n_observations ?? null,
        version_tag: options.version_tag ?? null,
        is_latest: true,
        run_id: Option.isSome(run) ? run.value.runId : null,
        _key_is_virtual: virtual,
        _aux: options.aux ?? null,
        created_at: t,
        updated_at: t,
        created_by_id: instance.user.id,
        branch: 1,
        is_locked: false
      }
    }

    // The common case (a new family's first version, nothing else written with it) registers
    // in one step (direct.ts: synchronously on SQLite, in one round trip on Postgres); a key
    // that turns out to have a head, and anything else, take the general transaction below.
    const directPossible = claimed === undefined && inRegister === undefined && options.version_tag === undefined && options.revises === undefined
    const register = (content: ContentHash & Partial<FolderSummary>) =>
      directPossible
        ? Effect.flatMap(
            Effect.suspend(() => {
              committing = guessUid
              return registerNewDirect(sql, content, storageId, key, rowValues(content, guessUid, key), Option.isSome(run) && run.value.behind === true)
            }),
            (direct) => (direct === undefined || direct.kind === "versioned" ? registerInTransaction(content) : Effect.succeed<SaveOutcome>(direct))
          )
        : registerInTransaction(content)

    const registerInTransaction = (content: ContentHash & Partial<FolderSummary>) =>
      sql.withTransaction(
        Effect.gen(function* () {
          yield* lockFor(saveLocks(storageId, key, content.hash))
          if (claimed !== undefined) {
            // Released in this transaction whatever the outcome: committed or rolled back together.
            yield* releaseSlot(claimed)
          }
          // Re-read the family inside the lock: another writer may have added a version meanwhile.
          // Without a claimed slot or a given head, nothing found means a new family, inserted
          // by the same statement where the dialect allows.
          const found = yield* findOrInsertFirst(
            content,
            storageId,
            options.revises === undefined ? key : null,
            claimed === undefined && options.revises === undefined ? rowValues(content, guessUid, key) : undefined
          )
          if (found.same !== undefined) return { kind: "existing", artifact: found.same } as SaveOutcome
          if (found.inserted !== undefined) {
            if (inRegister !== undefined) yield* inRegister(Number(found.inserted.id))
            committing = found.inserted.uid
            return { kind: "created", artifact: found.inserted } as SaveOutcome
          }
          const head = options.revises ?? found.head
          if (head !== undefined) yield* lockFor([`lamina-artifact-family:${stemOf(head)}`])
          const uid =
            head === undefined
              ? claimed === undefined
                ? guessUid
                : newFamilyUid(UID_LENGTH.artifact) // every earlier version went to trash: a new family
              : claimed !== undefined && splitUid(claimed).stem === stemOf(head)
                ? claimed
                : yield* nextFreeUid(stemOf(head))
          const stem = splitUid(uid).stem
          if (options.version_tag !== undefined) {
            const taken = (yield* familyOf(stem)).some((a) => a.version_tag === options.version_tag)
            if (taken)
              return yield* new IntegrityError({ message: `Please change the version tag or leave it \`None\`, '${options.version_tag}' is already taken` })
          }
          if (virtual && uid !== guessUid) {
            // Only when the family changed under us: the target slot is unclaimed, so no
            // other writer is writing it.
            const target = virtualStorageKey(uid, pending.suffix, pending.isFolder)
            yield* store.move(written!, target)
            written = target
          }
          const row = yield* insertRow(ArtifactModel, rowValues(content, uid, head?.key ?? key))
          // A new family has one member, already the latest.
          const latest = head === undefined ? uid : yield* refreshLatest(stem)
          if (inRegister !== undefined) yield* inRegister(Number(row.id))
          committing = uid
          return { kind: "created", artifact: { ...(row as unknown as ArtifactRow), is_latest: latest === uid } } as SaveOutcome
        })
      ).pipe(
        Effect.tap(() => Effect.sync(() => void (slotHeld = false))),
        Effect.catchTag("SqlError", (e) => Effect.fail(sqlFailure("Saving an artifact")(e)))
      )

    const outcome = yield* Effect.flatMap(upload, (content) =>
      register(content).pipe(
        // A live row with this storage, key and hash that the locked lookup did not see: return it.
        Effect.catchTag("IntegrityError", (e) =>
          Effect.flatMap(byStorageKeyHash(storageId, key, content.hash), (row) =>
            row ? Effect.succeed<SaveOutcome>({ kind: "existing", artifact: row }) : Effect.fail(e)
          )
        )
      )
    ).pipe(
      // Failed or interrupted with no row committed: take back the bytes and the slot.
      Effect.onExit((exit) =>
        exit._tag === "Success"
          ? Effect.void
          : Effect.flatMap(mayHaveRow(committing), (committed) =>
              committed
                ? Effect.logWarning(
                    `saving '${pending.localPath}' ${Cause.isInterruptedOnly(exit.cause) ? "was interrupted" : "failed"} during its commit, and artifact ${committing} is registered (or the registry cannot say): its bytes stay`
                  )
                : Effect.zipRight(
                    written !== undefined ? Effect.ignore(store.remove(written)) : Effect.void,
                    slotHeld && claimed !== undefined ? Effect.ignore(releaseSlot(claimed)) : Effect.void
                  )
            )
      )
    )
    if (outcome.kind === "created") {
      if (Option.isSome(run)) yield* run.value.recordOutput(outcome.artifact.id)
      return { row: outcome.artifact, created: true }
    }
    // Same content exists (never a trashed artifact: those are not matched, see byHash): drop
    // the copy, return the existing record (LaminDB's behaviour). The saving run, if it did not
    // create it, becomes one of its recreating runs when it completes.
    const existing = outcome.artifact
    if (written !== undefined) {
      // Its bytes gone from storage or edited in place (behind Lamina's back): this copy takes
      // their place, so a hit refused for them (tracker/cache.ts) is whole again.
      const state = yield* Effect.orElseSucceed(storedStateNow(store, storageId, existing), () => undefined)
      const copy = written
      yield* state !== undefined
        ? restoreBytes(store, copy, storageKeyOf(existing), isFolderRow(existing) && state === "resized").pipe(
            Effect.zipRight(Effect.logWarning(`the bytes of artifact ${existing.uid} were ${state === "missing" ? "missing from storage" : "changed in storage"}: restored from '${pending.localPath}'`)),
            Effect.catchAll(() => Effect.ignore(store.remove(copy)))
          )
        : Effect.ignore(store.remove(copy))
    }
    yield* Effect.logWarning(
      `returning artifact with same hash: ${existing.uid}` +
        (key !== null && existing.key !== key ? ` (key '${existing.key}' kept; '${key}' not applied)` : "")
    )
    if (Option.isSome(run) && existing.run_id !== run.value.runId && run.value.recordRecreated !== undefined) yield* run.value.recordRecreated(existing.id)
    if (options.description !== undefined && options.description !== existing.description) {
      const changes: Row = { updated_at: now(), description: options.description }
      yield* updateRow(ArtifactModel, existing.id, changes)
      return { row: { ...existing, ...changes } as ArtifactRow, created: false }
    }
    return { row: existing, created: false }
  })

/**
 * Put the bytes at `copy` in the place of `key`'s. A folder that is there but changed goes aside
 * first (moving onto it would keep the files added to it) and is removed once the copy took its
 * place, or put back if the copy could not.
 */
const restoreBytes = (store: ObjectStore, copy: string, key: string, replaceFolder: boolean): Effect.Effect<void, StorageError> => {
  if (!replaceFolder) return store.move(copy, key)
  const aside = `${copy}-replaced`
  return Effect.zipRight(
    store.move(key, aside),
    Effect.matchEffect(store.move(copy, key), {
      onFailure: (e) => Effect.zipRight(Effect.ignore(store.move(aside, key)), Effect.fail(e)),
      onSuccess: () => Effect.ignore(store.remove(aside))
    })
  )
}

/** Copy (or hash in place), deduplicate, version and register `pending`; the stored row. */
export const saveArtifact = (pending: PendingSource) => Effect.map(saveArtifactOutcome(pending), (o) => o.row)

/**
 * Withdraw a completed run whose output may hold another run's bytes (see sourceGuard.ts): it
 * becomes errored with `message`, its outputs go to trash and its recreating links go, so
 * neither lineage nor the cache ever presents its outputs as computed.
 */
const withdrawRun = (runId: number, message: string) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const outputs = yield* selectRows(ArtifactModel, (q) => q`run_id = ${runId} AND branch <> -1`)
    for (const row of outputs) yield* deleteArtifact(viewOf(row as unknown as ArtifactRow), false)
    const runs = yield* sql<{ readonly uid: string; readonly name: string | null }>`SELECT uid, name FROM lamina_run WHERE id = ${runId}`
    const error = { _tag: "StepFailed", step: runs[0]?.name ?? "", run: runs[0]?.uid ?? "", message }
    // 1 = errored (RunStatus.errored; Run.ts is not imported here, it depends on the flow engine).
    yield* sql`UPDATE lamina_run SET _status_code = ${1}, error = ${encodeValue("json", error)} WHERE id = ${runId}`
    yield* sql`DELETE FROM lamina_artifact_recreating_run WHERE run_id = ${runId}`
    yield* Effect.logWarning(`run ${runs[0]?.uid ?? runId} marked errored and its outputs moved to trash: ${message}`)
  }).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(sqlFailure("Withdrawing a run")(e))))
