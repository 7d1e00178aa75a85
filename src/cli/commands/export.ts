/**
 * `lamina export DIR [--no-data] [--json]`: write a portable dump of the current instance —
 * every registry as JSON lines and the stored objects (or, with `--no-data`, only the rows:
 * the objects stay where they are) — into a new folder.
 *
 * @module
 */
import { Effect } from "effect"
import { InvalidArgument } from "../../errors.js"
import { exportInstance, type TransferProgress } from "../../integrity/index.js"
import { flagBoolean } from "../args.js"
import type { Command } from "../command.js"
import { formatSize } from "../present.js"
import { progressBar } from "../progressBar.js"

/** Draw transfer progress on a bar. */
export const drawTransfer = (label: string) => {
  const bar = progressBar(label)
  return (p: TransferProgress) => {
    const state = { done: p.bytesDone, total: p.bytesTotal, elapsedMs: p.elapsedMs, detail: `${p.objectsDone}/${p.objectsTotal} artifacts` }
    if (p.objectsDone === p.objectsTotal) bar.finish(state)
    else bar.update(state)
  }
}

export const command: Command = {
  name: "export",
  summary: "write a portable dump of the instance (registries as JSON lines + stored objects)",
  usage: "lamina export DIR [--no-data] [--json]",
  flags: { no_data: { type: "boolean", description: "rows only: the objects stay in storage (for moving the registry to another database)" } },
  needsInstance: true,
  run: (args, out) =>
    Effect.gen(function* () {
      if (args.positionals.length !== 1) return yield* new InvalidArgument({ message: "Usage: lamina export DIR [--no-data]: pass one new folder." })
      const report = yield* exportInstance(args.positionals[0]!, { data: !flagBoolean(args, "no_data"), onProgress: drawTransfer("exporting") })
      if (out.wantsJson) return out.json(report)
      for (const t of report.tables) out.line(`  ${t.table.padEnd(32)} ${t.rows} row(s)`)
      out.line(`✓ exported to ${report.dir}: ${report.tables.reduce((n, t) => n + t.rows, 0)} row(s), ${report.objects} object(s), ${formatSize(report.bytes)}`)
    })
}
