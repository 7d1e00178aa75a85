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
import { flagBoolean, type ParsedArgs } from "../args.js"
import type { Output } from "../command.js"
import { formatSize } from "../present.js"
import { progressBar } from "../progressBar.js"

/** Usage of the dump form of `export`. */
export const DUMP_USAGE = "lamina export DIR [--no-data] [--json]"

/** Draw transfer progress on a bar. */
export const drawTransfer = (label: string) => {
  const bar = progressBar(label)
  return (p: TransferProgress) => {
    const state = { done: p.bytesDone, total: p.bytesTotal, elapsedMs: p.elapsedMs, detail: `${p.objectsDone}/${p.objectsTotal} artifacts` }
    if (p.objectsDone === p.objectsTotal) bar.finish(state)
    else bar.update(state)
  }
}

/** `lamina export DIR …`. */
export const exportDump = (args: ParsedArgs, out: Output) =>
  Effect.gen(function* () {
    if (args.positionals.length !== 1) return yield* new InvalidArgument({ message: `Pass one new folder.\nUsage: ${DUMP_USAGE}` })
    const report = yield* exportInstance(args.positionals[0]!, { data: !flagBoolean(args, "no_data"), onProgress: drawTransfer("exporting") })
    if (out.wantsJson) return out.json(report)
    for (const t of report.tables) out.line(`  ${t.table.padEnd(32)} ${t.rows} row(s)`)
    out.line(`✓ exported to ${report.dir}: ${report.tables.reduce((n, t) => n + t.rows, 0)} row(s), ${report.objects} object(s), ${formatSize(report.bytes)}`)
  })
