/**
 * `lamina why RUN_UID`: why a run executed instead of hitting the cache (which part of its
 * cache key changed), or which run a cache hit reused.
 *
 * @module
 */
import { Effect } from "effect"
import { InvalidArgument } from "../../errors.js"
import { explainRun } from "../../flow/why.js"
import type { Command } from "../command.js"

const USAGE = "lamina why RUN_UID [--json]"

/** The `why` command. */
export const command: Command = {
  name: "why",
  summary: "Explain a run's cache outcome: what changed since the closest earlier run, or what it reused",
  usage: USAGE,
  flags: {},
  maxPositionals: 1,
  needsInstance: true,
  run: (args, out) =>
    Effect.gen(function* () {
      const uid = args.positionals[0]
      if (uid === undefined || args.positionals.length > 1) return yield* new InvalidArgument({ message: `Pass one run uid.\nUsage: ${USAGE}` })
      const why = yield* explainRun(uid)
      if (out.wantsJson) return out.json(why)
      out.line(why.message)
      for (const c of why.changes) out.line(`  - ${c.component}${c.name ? ` ${c.name}` : ""}: ${c.detail}`)
    })
}
