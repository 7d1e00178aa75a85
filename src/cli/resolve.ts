/**
 * Resolve what a user types on the command line (a uid, a uid stem or a key) to an artifact.
 *
 * @module
 */
import { Effect } from "effect"
import { DoesNotExist, InvalidArgument } from "../errors.js"
import { Artifact } from "../registry/Artifact.js"
import { isBase62, UID_LENGTH } from "../registry/uid.js"

/** An artifact by full uid, uid stem (latest version) or key (latest version). */
export const resolveArtifact = (keyOrUid: string | undefined) =>
  Effect.gen(function* () {
    if (keyOrUid === undefined || keyOrUid === "")
      return yield* new InvalidArgument({ message: "Pass an artifact key or uid." })
    const looksLikeUid = isBase62(keyOrUid) && (keyOrUid.length === UID_LENGTH.artifact || keyOrUid.length === UID_LENGTH.artifact - 4)
    if (looksLikeUid) {
      const byUid = yield* Effect.option(Effect.catchTag(Artifact.get(keyOrUid), "InvalidArgument", (e) => Effect.fail(e)))
      if (byUid._tag === "Some") return byUid.value
    }
    return yield* Artifact.get({ key: keyOrUid }).pipe(
      Effect.catchTag("DoesNotExist", () =>
        Effect.fail(
          new DoesNotExist({
            registry: "Artifact",
            message: `No artifact with key or uid '${keyOrUid}'. List artifacts with 'lamina ls artifact'.`
          })
        )
      )
    )
  })
