/**
 * `lamina search REGISTRY TEXT [--filter KEY=VALUE]… [--limit N] [--json]`: LaminDB's ranked
 * search (exact, synonym, whole word, prefix, sub-phrase, contains), best match first.
 *
 * @module
 */
import { Effect } from "effect"
import { InvalidArgument } from "../../errors.js"
import { flagList, flagNumber } from "../args.js"
import type { Command } from "../command.js"
import { FILTER_HELP, list, parseFilters, registryName, REGISTRIES } from "../listing.js"

export const command: Command = {
  name: "search",
  summary: "ranked search over a registry's text fields",
  usage: `lamina search [${REGISTRIES.join("|")}] TEXT [--filter KEY=VALUE]... [--limit N] [--json]`,
  flags: {
    filter: { type: "string", multiple: true, alias: "f", description: "narrow with a condition KEY=VALUE (repeatable)" },
    limit: { type: "number", alias: "n", description: "how many results (default 20)" }
  },
  notes: FILTER_HELP,
  maxPositionals: Number.POSITIVE_INFINITY,
  needsInstance: true,
  run: (args, out) =>
    Effect.gen(function* () {
      const [name, ...words] = args.positionals
      if (name === undefined || words.length === 0)
        return yield* new InvalidArgument({ message: `Pass a registry and the text to search: ${command.usage}` })
      const registry = yield* registryName(name)
      const limit = flagNumber(args, "limit") ?? 20
      if (!Number.isInteger(limit) || limit < 1) return yield* new InvalidArgument({ message: "--limit must be a positive whole number." })
      const filter = yield* parseFilters(flagList(args, "filter"))
      yield* list(registry, { filter, order: [], limit, search: words.join(" ") }, out)
    })
}
