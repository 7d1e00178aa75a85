/**
 * Resolve what a user types on the command line (a uid, a uid stem or a key) to a record.
 * "Not found" is only ever said when the registry answered that there is no such record: a
 * failing registry (an outage, a broken connection) is reported as such, never as "No artifact".
 *
 * @module
 */
import { Effect } from "effect"
import type * as SqlClient from "@effect/sql/SqlClient"
import { DoesNotExist, InvalidArgument, StorageError, type LaminaError } from "../errors.js"
import { Artifact } from "../registry/Artifact.js"
import { Run } from "../registry/Run.js"
import { Transform } from "../registry/Transform.js"
import { isBase62, UID_LENGTH } from "../registry/uid.js"

/** A failed registry query, worded as the outage it is. */
const outage = (what: string) => (e: StorageError) =>
  new StorageError({
    message: `The registry could not be queried while looking up '${what}' — this is a registry failure, not a missing record: ${e.message}`,
    ...(e.path !== undefined ? { path: e.path } : {}),
    cause: e
  })

/** `Some(record)`, `None` when the registry says there is none; registry failures stay failures. */
const found = <A, E extends { readonly _tag: string }, R>(lookup: Effect.Effect<A, E, R>) =>
  lookup.pipe(
    Effect.map((a): A | undefined => a),
    Effect.catchIf(
      (e): e is Extract<E, { readonly _tag: "DoesNotExist" }> => e._tag === "DoesNotExist",
      () => Effect.succeed(undefined)
    )
  )

const looksLikeArtifactUid = (s: string) => isBase62(s) && (s.length === UID_LENGTH.artifact || s.length === UID_LENGTH.artifact - 4)

/** An artifact by full uid, uid stem (latest version) or key (latest version). */
export const resolveArtifact = (keyOrUid: string | undefined) =>
  Effect.gen(function* () {
    if (keyOrUid === undefined || keyOrUid === "")
      return yield* new InvalidArgument({ message: "Pass an artifact key or uid." })
    const artifact = yield* findArtifact(keyOrUid)
    if (artifact !== undefined) return artifact
    return yield* new DoesNotExist({
      registry: "Artifact",
      message: `No artifact with key or uid '${keyOrUid}'. List artifacts with 'lamina ls artifact'.`
    })
  })

const findArtifact = (keyOrUid: string) =>
  Effect.gen(function* () {
    if (looksLikeArtifactUid(keyOrUid)) {
      const byUid = yield* found(Artifact.get(keyOrUid))
      if (byUid !== undefined) return byUid
    }
    return yield* found(Artifact.get({ key: keyOrUid }))
  }).pipe(Effect.mapError((e) => (e._tag === "StorageError" ? outage(keyOrUid)(e) : e)))

/** A trashed artifact by uid, or the most recently trashed version of a key (for `restore`). */
export const resolveTrashed = (keyOrUid: string | undefined) =>
  Effect.gen(function* () {
    if (keyOrUid === undefined || keyOrUid === "") return yield* new InvalidArgument({ message: "Pass the key or uid of a trashed artifact." })
    const candidate = looksLikeArtifactUid(keyOrUid)
      ? ((yield* found(Artifact.get(keyOrUid))) ?? (yield* Artifact.filter({ key: keyOrUid, branch: -1 }).orderBy("-id").first()))
      : yield* Artifact.filter({ key: keyOrUid, branch: -1 }).orderBy("-id").first()
    if (candidate === undefined)
      return yield* new DoesNotExist({
        registry: "Artifact",
        message: `No trashed artifact with key or uid '${keyOrUid}'. List the trash with 'lamina ls artifact --filter branch=-1'.`
      })
    return candidate
  }).pipe(Effect.mapError((e) => (e._tag === "StorageError" ? outage(keyOrUid ?? "")(e) : e)))

/** What `lamina describe` can show. */
export type Described =
  | { readonly _tag: "Artifact"; readonly artifact: Artifact }
  | { readonly _tag: "Run"; readonly run: RunRecord }
  | { readonly _tag: "Transform"; readonly transform: TransformRecord }

type RunRecord = Effect.Effect.Success<ReturnType<typeof Run.get>>
type TransformRecord = Effect.Effect.Success<ReturnType<typeof Transform.get>>

/**
 * An artifact (uid, stem or key), else a run (uid), else a transform (uid, uid stem or key;
 * the latest version): what `lamina describe X` shows.
 */
export const resolveDescribed = (text: string | undefined) =>
  Effect.gen(function* (): Effect.fn.Return<Described, LaminaError, SqlClient.SqlClient> {
    if (text === undefined || text === "") return yield* new InvalidArgument({ message: "Pass an artifact key or uid, a run uid, or a transform key or uid." })
    const artifact = yield* findArtifact(text)
    if (artifact !== undefined) return { _tag: "Artifact", artifact } as const
    const base62 = isBase62(text)
    if (base62 && text.length === UID_LENGTH.run) {
      const run = yield* found(Run.get(text))
      if (run !== undefined) return { _tag: "Run", run } as const
    }
    const transform =
      (base62 && text.length === UID_LENGTH.transform ? yield* found(Transform.get(text)) : undefined) ??
      (base62 && text.length === UID_LENGTH.transform - 4 ? yield* Transform.filter({ uid__startswith: text }).orderBy("-id").first() : undefined) ??
      (yield* Transform.filter({ key: text }).orderBy("-id").first())
    if (transform !== undefined) return { _tag: "Transform", transform } as const
    return yield* new DoesNotExist({
      registry: "Artifact",
      message: `No artifact, run or transform '${text}'. List them with 'lamina ls artifact', 'lamina ls run' or 'lamina ls transform'.`
    })
  }).pipe(Effect.mapError((e) => (e._tag === "StorageError" ? outage(text ?? "")(e) : e)))
