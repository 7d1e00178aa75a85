/**
 * `lamina load KEY_OR_UID [--json]`: print a local path to the artifact's bytes.
 *
 * @module
 */
import { Effect } from "effect"
import { Instance } from "../../instance/Instance.js"
import type { Command } from "../command.js"
import { resolveArtifact } from "../resolve.js"

export const command: Command = {
  name: "load",
  summary: "print a local path to an artifact (downloaded into the cache for remote storage)",
  usage: "lamina load KEY_OR_UID [--json]",
  flags: {},
  maxPositionals: 1,
  needsInstance: true,
  run: (args, out) =>
    Effect.gen(function* () {
      const artifact = yield* resolveArtifact(args.positionals[0])
      const local = yield* artifact.cache()
      const { settings } = yield* Instance
      if (out.wantsJson) return out.json({ ...artifact.toJSON(settings.storage), local_path: local })
      out.line(local)
    })
}
