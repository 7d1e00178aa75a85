/**
 * `lamina project create NAME [--abbr ABBR] [--url URL] [--description TEXT] [--json]`
 *
 * @module
 */
import { Effect } from "effect"
import { Project } from "../../registry/Project.js"
import { flagString } from "../args.js"
import type { Command } from "../command.js"
import { createName, printRecord } from "../create.js"

const usage = "lamina project create NAME [--abbr ABBR] [--url URL] [--description TEXT] [--json]"

export const command: Command = {
  name: "project",
  summary: "create a project that artifacts, runs and records belong to",
  usage,
  flags: {
    abbr: { type: "string", description: "an abbreviation" },
    url: { type: "string", description: "the project's web page" },
    description: { type: "string", description: "what the project is about" }
  },
  needsInstance: true,
  run: (args, out) =>
    Effect.gen(function* () {
      const name = yield* createName(args, usage)
      const options = Object.fromEntries(
        (["abbr", "url", "description"] as const).flatMap((k) => {
          const v = flagString(args, k)
          return v === undefined ? [] : [[k, v]]
        })
      )
      printRecord(out, "Project", yield* Project.create({ name, ...options }))
    })
}
