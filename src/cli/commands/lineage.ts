/**
 * `lamina lineage KEY_OR_UID [--format mermaid|dot|json|html] [--depth N] [--output FILE]`:
 * the upstream lineage of an artifact (by key or uid) or a run (by uid).
 *
 * @module
 */
import { promises as fs } from "node:fs"
import { makeDirectory } from "../../storage/fileio.js"
import * as path from "node:path"
import { Effect } from "effect"
import { InvalidArgument, StorageError } from "../../errors.js"
import { FORMATS, render, toJson, upstream, type LineageFormat } from "../../lineage/index.js"
import { flagNumber, flagString } from "../args.js"
import type { Command } from "../command.js"

const USAGE = "lamina lineage KEY_OR_UID [--format mermaid|dot|json|html] [--depth N] [--output FILE] [--json]"

/** The `lineage` command. */
export const command: Command = {
  name: "lineage",
  summary: "Show where an artifact or run came from: runs, transforms and input artifacts upstream",
  usage: USAGE,
  flags: {
    format: { type: "string", description: "mermaid (default), dot, json or html" },
    depth: { type: "number", description: "how many producing runs to walk back (default: all)" },
    output: { type: "string", alias: "o", description: "write to FILE instead of stdout" }
  },
  maxPositionals: 1,
  needsInstance: true,
  run: (args, out) =>
    Effect.gen(function* () {
      const target = args.positionals[0]
      if (target === undefined || args.positionals.length > 1)
        return yield* new InvalidArgument({ message: `Pass one artifact key or uid, or a run uid.\nUsage: ${USAGE}` })
      const formatFlag = flagString(args, "format") ?? (out.wantsJson ? "json" : "mermaid")
      if (!(FORMATS as ReadonlyArray<string>).includes(formatFlag))
        return yield* new InvalidArgument({ message: `Unknown format '${formatFlag}': use ${FORMATS.join(", ")}.` })
      const format = formatFlag as LineageFormat
      const depth = flagNumber(args, "depth")
      if (depth !== undefined && (!Number.isInteger(depth) || depth < 0))
        return yield* new InvalidArgument({ message: `--depth needs a whole number ≥ 0, got ${depth}.` })
      const graph = yield* upstream(target, depth === undefined ? {} : { depth })
      const output = flagString(args, "output")
      if (output !== undefined) {
        const file = path.resolve(output)
        yield* Effect.tryPromise({
          try: async () => {
            makeDirectory(path.dirname(file))
            await fs.writeFile(file, render(graph, format, `Lineage of ${target}`))
          },
          catch: (cause) => new StorageError({ message: `Cannot write '${output}': ${String(cause)}. Check the folder exists and is writable.`, path: file, cause })
        })
        if (out.wantsJson) out.json({ output: file, format, nodes: graph.nodes.length, edges: graph.edges.length })
        else out.line(`Wrote ${format} lineage of ${target} to ${file} (${graph.nodes.length} nodes, ${graph.edges.length} edges).`)
        return
      }
      if (out.wantsJson) out.json(toJson(graph))
      else out.line(render(graph, format, `Lineage of ${target}`).replace(/\n$/, ""))
    })
}
