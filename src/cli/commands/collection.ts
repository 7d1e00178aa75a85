/**
 * `lamina collection create KEY KEY_OR_UID… [--description TEXT] [--json]`: a collection of
 * saved artifacts, in the order given (the existing collection when the members are the same).
 *
 * @module
 */
import { Effect } from "effect"
import { InvalidArgument } from "../../errors.js"
import { Collection } from "../../registry/Collection.js"
import { flagString } from "../args.js"
import type { Command } from "../command.js"
import { resolveArtifact } from "../resolve.js"

const usage = "lamina collection create KEY KEY_OR_UID... [--description TEXT] [--json]"

export const command: Command = {
  name: "collection",
  summary: "create a collection: an ordered, versioned set of saved artifacts",
  usage,
  flags: { description: { type: "string", description: "what the collection holds" } },
  needsInstance: true,
  run: (args, out) =>
    Effect.gen(function* () {
      const [sub, key, ...members] = args.positionals
      if (sub !== "create" || key === undefined || members.length === 0) return yield* new InvalidArgument({ message: `Usage: ${usage}` })
      const artifacts = yield* Effect.forEach(members, (m) => resolveArtifact(m))
      const description = flagString(args, "description")
      const c = yield* Collection.create(artifacts, { key, ...(description !== undefined ? { description } : {}) })
      if (out.wantsJson) return out.json({ ...c.toJSON(), artifacts: artifacts.map((a) => a.uid) })
      out.line(`Collection '${c.key}' v${c.version} (${c.uid}): ${artifacts.length} artifact(s)`)
    })
}
