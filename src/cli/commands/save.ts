/**
 * `lamina save PATH [--key KEY] [--description TEXT] [--version-tag TAG] [--kind KIND] [--no-inspect] [--json]`
 *
 * @module
 */
import { Effect } from "effect"
import { Instance } from "../../instance/Instance.js"
import { Artifact } from "../../registry/Artifact.js"
import { flagBoolean, flagString } from "../args.js"
import type { Command } from "../command.js"
import { formatSize } from "../present.js"

export const command: Command = {
  name: "save",
  summary: "register a file or folder as an artifact (copied into storage, hashed, versioned)",
  usage: "lamina save PATH [--key KEY] [--description TEXT] [--version-tag TAG] [--kind KIND] [--no-inspect] [--json]",
  flags: {
    key: { type: "string", description: "a path-like key in storage, e.g. raw/sample1.csv" },
    description: { type: "string", description: "a description" },
    version_tag: { type: "string", description: "a human version tag, e.g. 1.0" },
    kind: { type: "string", description: "LaminDB kind, e.g. dataset or model" },
    no_inspect: { type: "boolean", description: "do not read table/AnnData metadata: register a damaged .parquet, .h5ad … as plain bytes" }
  },
  maxPositionals: 1,
  needsInstance: true,
  run: (args, out) =>
    Effect.gen(function* () {
      const [localPath] = args.positionals
      const key = flagString(args, "key")
      const description = flagString(args, "description")
      const version_tag = flagString(args, "version_tag")
      const kind = flagString(args, "kind")
      const pending = yield* Artifact.fromPath(localPath ?? "", {
        ...(key !== undefined ? { key } : {}),
        ...(description !== undefined ? { description } : {}),
        ...(version_tag !== undefined ? { version_tag } : {}),
        ...(kind !== undefined ? { kind } : {}),
        ...(flagBoolean(args, "no_inspect") ? { inspect: false } : {})
      })
      // A new artifact gets an id above every existing one; dedup returns a live, older one.
      const newest = yield* Artifact.filter().orderBy("-id").first()
      const artifact = yield* pending.save()
      const existed = newest !== undefined && artifact.id <= newest.id
      const { settings } = yield* Instance
      if (out.wantsJson) return out.json({ ...artifact.toJSON(settings.storage), already_saved: existed })
      const name = artifact.key ?? artifact.description ?? "(no key)"
      out.line(
        existed
          ? `= already saved as ${artifact.uid}  ${name}  v${artifact.version}  (same content${key !== undefined && key !== artifact.key ? `; key '${key}' not applied` : ""})`
          : `✓ saved ${artifact.uid}  ${name}  v${artifact.version}  ${formatSize(artifact.size)}  ${artifact.hash}`
      )
    })
}
