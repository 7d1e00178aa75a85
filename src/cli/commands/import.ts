/**
 * `lamina import DIR [--json]`: load a dump written by `lamina export` into the current
 * instance (any database and storage), keeping uids, hashes, versions, runs and lineage.
 * Importing the same dump again changes nothing.
 *
 * @module
 */
import { Effect } from "effect"
import { InvalidArgument } from "../../errors.js"
import { importInstance } from "../../integrity/index.js"
import type { Command } from "../command.js"
import { formatSize } from "../present.js"
import { drawTransfer } from "./export-dump.js"

export const command: Command = {
  name: "import",
  summary: "load a dump made by 'lamina export' into the instance (idempotent)",
  usage: "lamina import DIR [--json]",
  flags: {},
  needsInstance: true,
  run: (args, out) =>
    Effect.gen(function* () {
      if (args.positionals.length !== 1) return yield* new InvalidArgument({ message: "Usage: lamina import DIR: pass the dump folder 'lamina export' wrote." })
      const report = yield* importInstance(args.positionals[0]!, { onProgress: drawTransfer("importing") })
      if (out.wantsJson) return out.json(report)
      for (const [table, n] of Object.entries(report.inserted)) out.line(`  ${table.padEnd(32)} ${n} row(s) added`)
      const added = Object.values(report.inserted).reduce((n, k) => n + k, 0)
      out.line(
        added === 0 && report.objects === 0
          ? `✓ nothing to import: the instance already holds all ${report.existing} row(s) of the dump`
          : `✓ imported ${added} row(s) (${report.existing} already present), ${report.objects} object(s), ${formatSize(report.bytes)}`
      )
    })
}
