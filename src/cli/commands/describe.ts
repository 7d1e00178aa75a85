/**
 * `lamina describe KEY_OR_UID [--json]`: an artifact as a readable tree, with its run and transform,
 * and for tables and AnnData their shape and columns (from the metadata recorded at save).
 *
 * @module
 */
import { Effect } from "effect"
import { Instance } from "../../instance/Instance.js"
import { Run, statusName } from "../../registry/Run.js"
import { Transform } from "../../registry/Transform.js"
import { User } from "../../registry/User.js"
import type { Command } from "../command.js"
import { formatSize, tree, type TreeRow } from "../present.js"
import { dataRows } from "../present-data.js"
import { resolveArtifact } from "../resolve.js"
import { showValue } from "../../registry/annotate/describe.js"

export const command: Command = {
  name: "describe",
  summary: "show an artifact: identity, content, version, location, provenance",
  usage: "lamina describe KEY_OR_UID [--json]",
  flags: {},
  needsInstance: true,
  run: (args, out) =>
    Effect.gen(function* () {
      const artifact = yield* resolveArtifact(args.positionals[0])
      const { settings } = yield* Instance
      const [run, creator] = yield* Effect.all([
        artifact.run_id === null ? Effect.succeed(undefined) : Run.filter({ id: artifact.run_id }).first(),
        artifact.created_by_id === null ? Effect.succeed(undefined) : User.filter({ id: artifact.created_by_id }).first()
      ])
      const transform = run === undefined ? undefined : yield* Transform.filter({ id: run.transform_id }).first()
      const recreating = yield* artifact.recreatingRuns()
      const annotations = yield* artifact.describeAnnotations()
      const json = {
        ...artifact.toJSON(settings.storage),
        created_by: creator?.handle ?? null,
        run: run ? { uid: run.uid, status: statusName(run._status_code), started_at: run.started_at?.toISOString() ?? null } : null,
        transform: transform ? { uid: transform.uid, key: transform.key, kind: transform.kind, version: transform.version_tag ?? transform.uid.slice(-4) } : null,
        // Later runs that saved the same bytes and got this artifact back (LaminDB's recreating_runs).
        recreating_runs: recreating.map((r) => ({ uid: r.uid, name: r.name, status: statusName(r._status_code), started_at: r.started_at?.toISOString() ?? null })),
        ...(artifact._aux ? { metadata: artifact._aux } : {}),
        linked_features: annotations.linked_features,
        labels: Object.fromEntries(annotations.labels.map((g) => [g.link, g.names]))
      }
      if (out.wantsJson) return out.json(json)
      const branch = artifact.branch === -1 ? " (in trash)" : artifact.branch === 0 ? " (archived)" : ""
      const rows: Array<TreeRow> = [
        ["uid", artifact.uid],
        ["key", artifact.key ?? "–"],
        ["description", artifact.description ?? "–"],
        ["version", `${artifact.version}${artifact.is_latest ? " (latest)" : ""}${branch}`],
        ["hash", `${artifact.hash ?? "–"} (${artifact.hash_type ?? "–"})`],
        ["size", `${formatSize(artifact.size)}${artifact.n_files !== null && artifact.n_files > 1 ? `, ${artifact.n_files} files` : ""}`],
        ...(artifact.kind ? [["kind", artifact.kind] as const] : []),
        ...(artifact.otype ? [["otype", artifact.otype] as const] : []),
        ...(artifact.n_observations !== null ? [["n_observations", String(artifact.n_observations)] as const] : []),
        ["path", json.path],
        ["created_at", json.created_at],
        ["created_by", json.created_by ?? "–"],
        ...(json.run ? [["run", `${json.run.uid} (${json.run.status}, ${json.run.started_at ?? "not started"})`] as const] : []),
        ...(json.transform ? [["transform", `${json.transform.key} v${json.transform.version} (${json.transform.kind}, ${json.transform.uid})`] as const] : []),
        ...(json.recreating_runs.length > 0
          ? [
              [
                "recreating_runs",
                `${json.recreating_runs.length} later run${json.recreating_runs.length === 1 ? "" : "s"} saved the same bytes`,
                json.recreating_runs.map((r): TreeRow => [r.uid, `${r.name ?? "run"} (${r.status}, ${r.started_at ?? "not started"})`])
              ] as const
            ]
          : []),
        ...dataRows(artifact._aux, artifact.otype)
      ]
      out.line(tree(`Artifact ${artifact.suffix || "(no suffix)"} · ${artifact.key ?? artifact.uid}`, rows))
      // LaminDB's sections: "Linked features" (name, dtype, value), "Labels" (.link, registry, names).
      if (annotations.linked_features.length > 0) {
        const w = Math.max(...annotations.linked_features.map((f) => f.name.length))
        const d = Math.max(...annotations.linked_features.map((f) => f.dtype.length))
        out.line(
          tree(
            "Linked features",
            annotations.linked_features.map((f): TreeRow => [`${f.name.padEnd(w)}  ${f.dtype.padEnd(d)}`, `${showValue(f.value)}${f.unit ? ` ${f.unit}` : ""}`]),
            { colon: false }
          )
        )
      }
      if (annotations.labels.length > 0) {
        const w = Math.max(...annotations.labels.map((g) => g.link.length + 1))
        const r = Math.max(...annotations.labels.map((g) => g.registry.length))
        out.line(tree("Labels", annotations.labels.map((g): TreeRow => [`.${g.link}`.padEnd(w) + "  " + g.registry.padEnd(r), g.names.join(", ")]), { colon: false }))
      }
    })
}
