/**
 * `lamina gc [--min-age SECONDS] [--dry-run] [--json]`: remove objects under `.lamina/` that no
 * artifact owns (left by a crash during a permanent delete or a save), older than the minimum
 * age, and (S3) abort incomplete multipart uploads under `.lamina/` older than it. Registered
 * artifacts' data is never touched.
 *
 * @module
 */
import { Effect } from "effect"
import { InvalidArgument } from "../../errors.js"
import { gc } from "../../integrity/index.js"
import { flagBoolean } from "../args.js"
import type { Command } from "../command.js"
import { formatSize } from "../present.js"
import { minAgeFlag } from "./check.js"

export const command: Command = {
  name: "gc",
  summary: "remove stored objects no artifact owns (left behind by crashes)",
  usage: "lamina gc [--min-age SECONDS] [--dry-run] [--json]",
  flags: {
    min_age: { type: "number", description: "leave objects younger than this many seconds (default 3600: a save may be about to register them)" },
    dry_run: { type: "boolean", description: "list what would be removed, remove nothing" }
  },
  maxPositionals: 0,
  needsInstance: true,
  run: (args, out) =>
    Effect.gen(function* () {
      if (args.positionals.length > 0) return yield* new InvalidArgument({ message: `gc takes no arguments, got '${args.positionals.join(" ")}'.` })
      const minAgeMs = yield* minAgeFlag(args)
      const dryRun = flagBoolean(args, "dry_run")
      const report = yield* gc({ dryRun, ...(minAgeMs !== undefined ? { minAgeMs } : {}) })
      if (out.wantsJson) return out.json({ ...report, dryRun })
      for (const key of report.removed) out.line(`${dryRun ? "would remove" : "removed"} ${key}`)
      for (const key of report.kept) out.line(`kept ${key} (younger than the minimum age)`)
      for (const key of report.uploadsAborted) out.line(`${dryRun ? "would abort" : "aborted"} the incomplete upload of ${key}`)
      for (const key of report.uploadsKept) out.line(`kept the incomplete upload of ${key} (younger than the minimum age)`)
      if (report.note !== undefined) out.line(`note: ${report.note}`)
      out.line(
        `✓ ${dryRun ? "would remove" : "removed"} ${report.removed.length} orphan object(s), ${formatSize(report.bytesRemoved)}${report.kept.length > 0 ? `; kept ${report.kept.length} younger one(s)` : ""}`
      )
    })
}
