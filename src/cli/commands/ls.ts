/**
 * `lamina ls [artifact|run|transform] [--limit N] [--json]`
 *
 * @module
 */
import { Effect } from "effect"
import { InvalidArgument } from "../../errors.js"
import { Instance } from "../../instance/Instance.js"
import { Artifact } from "../../registry/Artifact.js"
import { Run, statusName } from "../../registry/Run.js"
import { Transform } from "../../registry/Transform.js"
import { flagNumber } from "../args.js"
import type { Command } from "../command.js"
import { formatSize, table } from "../present.js"

const iso = (d: Date | null) => (d === null ? null : d.toISOString())

export const command: Command = {
  name: "ls",
  summary: "list the newest records of a registry",
  usage: "lamina ls [artifact|run|transform] [--limit N] [--json]",
  flags: { limit: { type: "number", alias: "n", description: "how many records (default 20)" } },
  needsInstance: true,
  run: (args, out) =>
    Effect.gen(function* () {
      const registry = args.positionals[0] ?? "artifact"
      const limit = flagNumber(args, "limit") ?? 20
      if (!Number.isInteger(limit) || limit < 1) return yield* new InvalidArgument({ message: "--limit must be a positive whole number." })
      const { settings } = yield* Instance
      switch (registry) {
        case "artifact": {
          const rows = yield* Artifact.filter().limit(limit).toArray()
          if (out.wantsJson) return out.json(rows.map((a) => a.toJSON(settings.storage)))
          return out.line(table(["uid", "key", "version", "size", "created_at"], rows.map((a) => [a.uid, a.key ?? a.description ?? "", a.version + (a.is_latest ? "*" : ""), formatSize(a.size), a.created_at.toISOString()])))
        }
        case "run": {
          const rows = yield* Run.filter().limit(limit).toArray()
          const json = rows.map((r) => ({ uid: r.uid, name: r.name, entrypoint: r.entrypoint, status: statusName(r._status_code), params: r.params, started_at: iso(r.started_at), finished_at: iso(r.finished_at), created_at: iso(r.created_at) }))
          if (out.wantsJson) return out.json(json)
          return out.line(table(["uid", "entrypoint", "status", "started_at"], json.map((r) => [r.uid, r.entrypoint ?? r.name ?? "", r.status, r.started_at ?? ""])))
        }
        case "transform": {
          const rows = yield* Transform.filter().limit(limit).toArray()
          const json = rows.map((t) => ({ uid: t.uid, key: t.key, kind: t.kind, version: t.version_tag ?? t.uid.slice(-4), is_latest: t.is_latest, hash: t.hash, created_at: iso(t.created_at) }))
          if (out.wantsJson) return out.json(json)
          return out.line(table(["uid", "key", "kind", "version"], json.map((t) => [t.uid, t.key ?? "", t.kind, t.version + (t.is_latest ? "*" : "")])))
        }
        default:
          return yield* new InvalidArgument({ message: `Unknown registry '${registry}'. Use one of: artifact, run, transform.` })
      }
    })
}
