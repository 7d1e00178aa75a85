/**
 * `lamina ls [artifact|run|transform|user|storage|feature|ulabel|record|project|reference|collection] [--filter KEY=VALUE]… [--order FIELD] [--limit N] [--json]`
 *
 * Filters use the query language (`size__gt=1000`, `key__startswith=raw/`,
 * `params__learning_rate=0.01`, `transform__key=train.py`, feature names: `temperature__gt=20`); values are JSON when they parse as
 * JSON, else strings. Newest first unless `--order` says otherwise.
 *
 * @module
 */
import { Effect } from "effect"
import { InvalidArgument } from "../../errors.js"
import { flagList, flagNumber } from "../args.js"
import type { Command } from "../command.js"
import { list, parseFilters, registryName } from "../listing.js"
import { Tracker } from "../../tracker/Tracker.js"

export const command: Command = {
  name: "ls",
  summary: "list records of a registry, filtered and ordered with the query language",
  usage: "lamina ls [artifact|run|transform|user|storage|feature|ulabel|record|project|reference|collection] [--filter KEY=VALUE]... [--order [-]FIELD] [--limit N] [--json]",
  flags: {
    filter: { type: "string", multiple: true, alias: "f", description: "a condition KEY=VALUE, e.g. 'size__gt=1000' (repeatable; all must hold)" },
    order: { type: "string", multiple: true, alias: "o", description: "order by a field or path; '-' for descending (repeatable or comma-separated)" },
    limit: { type: "number", alias: "n", description: "how many records (default 20)" }
  },
  needsInstance: true,
  run: (args, out) =>
    Effect.gen(function* () {
      if (args.positionals.length > 1)
        return yield* new InvalidArgument({ message: `ls takes one registry name, got '${args.positionals.join(" ")}'. Quote filter values and pass them with --filter.` })
      const registry = yield* registryName(args.positionals[0])
      const limit = flagNumber(args, "limit") ?? 20
      if (!Number.isInteger(limit) || limit < 1) return yield* new InvalidArgument({ message: "--limit must be a positive whole number." })
      const filter = yield* parseFilters(flagList(args, "filter"))
      const order = flagList(args, "order").flatMap((o) => o.split(",").map((s) => s.trim()).filter((s) => s !== ""))
      // Runs left `started` by a process that died are shown as what they are: aborted.
      if (registry === "run") yield* Effect.flatMap(Tracker, (t) => t.reapExpiredRuns)
      yield* list(registry, { filter, order, limit }, out)
    })
}
