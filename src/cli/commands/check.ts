/**
 * `lamina check [--deep] [--fix] [--min-age SECONDS] [--json]`: check the current instance —
 * objects present with their sizes (with `--deep`, their hashes), version families, orphan
 * objects and temp files, dead runs, dangling references. Prints a summary and each problem;
 * exits 1 when anything is wrong (after `--fix`: anything it could not repair).
 *
 * @module
 */
import { Effect } from "effect"
import { IntegrityError, InvalidArgument } from "../../errors.js"
import { check, type CheckReport } from "../../integrity/index.js"
import { flagBoolean, flagNumber } from "../args.js"
import type { Command, Output } from "../command.js"
import { formatSize } from "../present.js"
import { progressBar } from "../progressBar.js"

const summary = (r: CheckReport): string => {
  const c = r.counts
  const looked = `${c.artifacts} artifact(s), ${c.objects} object(s) under .lamina/, ${c.families} version famil${c.families === 1 ? "y" : "ies"}, ${c.runs} run(s)`
  const deep = r.deep ? `; ${formatSize(c.bytesVerified)} hashed${c.unverifiable > 0 ? ` (${c.unverifiable} artifact(s) with a hash type that cannot be recomputed)` : ""}` : ""
  return `checked ${looked}${deep}`
}

const print = (r: CheckReport, out: Output): void => {
  out.line(summary(r))
  for (const p of r.fixed) out.line(`fixed  [${p.kind}] ${p.message}`)
  for (const p of r.problems) out.line(`✗ [${p.kind}] ${p.message}`)
  if (r.problems.length === 0) out.line(r.fixed.length > 0 ? `✓ repaired ${r.fixed.length} problem(s); nothing else is wrong` : "✓ no problems found")
  else {
    const byKind = new Map<string, number>()
    for (const p of r.problems) byKind.set(p.kind, (byKind.get(p.kind) ?? 0) + 1)
    out.line(`${r.problems.length} problem(s): ${[...byKind].map(([k, n]) => `${n} ${k}`).join(", ")}`)
  }
}

/** `--min-age` in milliseconds; `InvalidArgument` for a negative or non-numeric value. */
export const minAgeFlag = (args: Parameters<typeof flagNumber>[0]) =>
  Effect.gen(function* () {
    const seconds = flagNumber(args, "min_age")
    if (seconds === undefined) return undefined
    if (seconds < 0) return yield* new InvalidArgument({ message: "--min-age takes a number of seconds, 0 or more." })
    return seconds * 1000
  })

export const command: Command = {
  name: "check",
  summary: "check that storage and registry agree (--deep: hashes; --fix: repair what is safe)",
  usage: "lamina check [--deep] [--fix] [--min-age SECONDS] [--json]",
  flags: {
    deep: { type: "boolean", description: "read every stored byte and compare it with the recorded hash" },
    fix: { type: "boolean", description: "remove temp files of killed saves, re-derive is_latest, end dead runs aborted, drop dangling link rows" },
    min_age: { type: "number", description: "with --fix: leave temp files younger than this many seconds (default 3600)" }
  },
  needsInstance: true,
  run: (args, out) =>
    Effect.gen(function* () {
      if (args.positionals.length > 0) return yield* new InvalidArgument({ message: `check takes no arguments, got '${args.positionals.join(" ")}'.` })
      const minAgeMs = yield* minAgeFlag(args)
      const bar = progressBar("verifying")
      const report = yield* check({
        deep: flagBoolean(args, "deep"),
        fix: flagBoolean(args, "fix"),
        ...(minAgeMs !== undefined ? { minAgeMs } : {}),
        onProgress: (p) => {
          const state = { done: p.bytesDone, total: p.bytesTotal, elapsedMs: p.elapsedMs, detail: `${p.artifactsDone}/${p.artifactsTotal} artifacts` }
          if (p.artifactsDone === p.artifactsTotal) bar.finish(state)
          else bar.update(state)
        }
      })
      if (out.wantsJson) out.json(report)
      else print(report, out)
      if (report.problems.length > 0)
        return yield* new IntegrityError({
          message: `${report.problems.length} problem(s) found${report.fixed.length > 0 ? ` (${report.fixed.length} repaired)` : ""}; see the list above.`
        })
    })
}
