/**
 * `lamina validate FILE_OR_KEY --schema NAME [--standardize] [--json]`
 *
 * Validates a local table or AnnData file (Parquet, Arrow IPC, CSV, .h5ad, zarr), or a
 * registered artifact by key or uid, against a schema. Exit 0 when valid; exit 1 with every
 * problem listed (with `--json`: `{ valid, problems }` on stdout). `--standardize` maps synonyms
 * and case to canonical names before validating (tables; the file itself is not changed).
 *
 * @module
 */
import { existsSync } from "node:fs"
import { Effect } from "effect"
import { AnnDataCurator } from "../../curate/AnnDataCurator.js"
import { Curator } from "../../curate/Curator.js"
import { DataFrameCurator } from "../../curate/DataFrameCurator.js"
import { InvalidArgument, ValidationError } from "../../errors.js"
import { flagBoolean, flagString } from "../args.js"
import type { Command } from "../command.js"
import { resolveArtifact } from "../resolve.js"

export const command: Command = {
  name: "validate",
  summary: "validate a file or artifact against a schema (exit 1 with the problems)",
  usage: "lamina validate FILE_OR_KEY --schema NAME [--standardize] [--json]",
  flags: {
    schema: { type: "string", description: "the schema's name or uid ('valid_features': every column that is a feature)" },
    standardize: { type: "boolean", description: "map synonyms and case to canonical names first (tables)" }
  },
  needsInstance: true,
  run: (args, out) =>
    Effect.gen(function* () {
      const [target, ...rest] = args.positionals
      const schemaName = flagString(args, "schema")
      if (target === undefined || rest.length > 0 || schemaName === undefined)
        return yield* new InvalidArgument({ message: "Usage: lamina validate FILE_OR_KEY --schema NAME [--standardize] [--json]" })
      const curator = yield* Curator
      const definition = yield* curator.schema(schemaName)
      const composite = Object.keys(definition.components).length > 0
      // The format libraries load only to read a file: every other command starts without them.
      const data = existsSync(target)
        ? { _tag: "file" as const, loaded: yield* Effect.flatMap(Effect.promise(() => import("../../formats/load.js")), (m) => m.loadByFormat(target)) }
        : { _tag: "artifact" as const, artifact: yield* resolveArtifact(target) }
      const validation =
        data._tag === "file"
          ? data.loaded._tag === "DataFrame" && !composite
            ? Effect.flatMap(DataFrameCurator.make(data.loaded.table, definition.schema), (c) =>
                Effect.zipRight(flagBoolean(args, "standardize") ? c.standardize() : Effect.void, Effect.asVoid(c.validate()))
              )
            : data.loaded._tag === "AnnData" && composite
              ? Effect.flatMap(AnnDataCurator.make(data.loaded.adata, definition.schema), (c) => Effect.asVoid(c.validate()))
              : Effect.fail(new InvalidArgument({ message: `${target} is ${data.loaded._tag === "AnnData" ? "an AnnData" : `a ${data.loaded._tag}`}; schema '${schemaName}' is ${composite ? "composite (AnnData)" : "a DataFrame schema"}.` }))
          : data.artifact.otype === "AnnData"
            ? Effect.flatMap(AnnDataCurator.make(data.artifact, definition.schema), (c) => Effect.asVoid(c.validate()))
            : Effect.flatMap(DataFrameCurator.make(data.artifact, definition.schema), (c) =>
                Effect.zipRight(flagBoolean(args, "standardize") ? c.standardize() : Effect.void, Effect.asVoid(c.validate()))
              )
      const result = yield* Effect.either(validation)
      if (result._tag === "Right") {
        if (out.wantsJson) out.json({ valid: true, problems: [] })
        else out.line(`${target} is valid against schema '${definition.schema.name ?? definition.schema.uid}'`)
        return
      }
      const e = result.left
      if (e instanceof ValidationError && out.wantsJson) out.json({ valid: false, problems: e.problems ?? [{ kind: "format", slot: "", message: e.message }] })
      return yield* Effect.fail(e)
    })
}
