/**
 * `lamina delete KEY_OR_UID [--permanent]`
 *
 * @module
 */
import { Effect } from "effect"
import { flagBoolean } from "../args.js"
import type { Command } from "../command.js"
import { resolveArtifact } from "../resolve.js"

export const command: Command = {
  name: "delete",
  summary: "move an artifact to trash (again, or with --permanent: delete row and bytes)",
  usage: "lamina delete KEY_OR_UID [--permanent] [--json]",
  flags: { permanent: { type: "boolean", description: "delete the record and its bytes for good" } },
  maxPositionals: 1,
  needsInstance: true,
  run: (args, out) =>
    Effect.gen(function* () {
      const artifact = yield* resolveArtifact(args.positionals[0])
      const permanent = flagBoolean(args, "permanent") || artifact.branch === -1
      yield* artifact.delete({ permanent })
      if (out.wantsJson) return out.json({ uid: artifact.uid, key: artifact.key, deleted: permanent ? "permanent" : "trash" })
      out.line(permanent ? `✓ deleted ${artifact.uid} permanently` : `✓ moved ${artifact.uid} to trash (undo: lamina restore ${artifact.uid}; delete again to remove it for good)`)
    })
}
