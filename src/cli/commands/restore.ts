/**
 * `lamina restore KEY_OR_UID`: bring an artifact back from trash (refused while a live artifact
 * holds the same content and key). A key restores its most recently trashed version.
 *
 * @module
 */
import { Effect } from "effect"
import { InvalidArgument } from "../../errors.js"
import type { Command } from "../command.js"
import { resolveTrashed } from "../resolve.js"

export const command: Command = {
  name: "restore",
  summary: "bring an artifact back from trash (the undo of 'lamina delete')",
  usage: "lamina restore KEY_OR_UID [--json]",
  flags: {},
  maxPositionals: 1,
  needsInstance: true,
  run: (args, out) =>
    Effect.gen(function* () {
      const trashed = yield* resolveTrashed(args.positionals[0])
      if (trashed.branch !== -1)
        return yield* new InvalidArgument({ message: `Artifact ${trashed.uid} (${trashed.key ?? "no key"}) is not in trash: nothing to restore.` })
      const restored = yield* trashed.restore()
      if (out.wantsJson) return out.json({ uid: restored.uid, key: restored.key, version: restored.version, is_latest: restored.is_latest, restored: true })
      out.line(`✓ restored ${restored.uid}  ${restored.key ?? "(no key)"}  v${restored.version}${restored.is_latest ? " (latest)" : ""}`)
    })
}
