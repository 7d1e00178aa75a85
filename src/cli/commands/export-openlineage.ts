/**
 * `lamina export openlineage [RUN_UID | --since DATE] [--output FILE]`: runs as OpenLineage
 * RunEvents, one JSON object per line (stdout, or FILE written whole).
 *
 * @module
 */
import { Effect } from "effect"
import { Adapters, toJsonLines } from "../../adapters/index.js"
import { InvalidArgument } from "../../errors.js"
import { flagString, type ParsedArgs } from "../args.js"
import type { Output } from "../command.js"

/** Usage of the OpenLineage form of `export`. */
export const OPENLINEAGE_USAGE = "lamina export openlineage [RUN_UID | --since DATE] [--output FILE] [--json]"
const USAGE = OPENLINEAGE_USAGE

/** `lamina export openlineage …`. */
export const exportOpenLineage = (args: ParsedArgs, out: Output) =>
  Effect.gen(function* () {
    const [format, run, ...rest] = args.positionals
    if (format !== "openlineage") return yield* new InvalidArgument({ message: `Unknown export format '${format ?? ""}': use openlineage.\nUsage: ${USAGE}` })
    if (rest.length > 0) return yield* new InvalidArgument({ message: `Pass at most one run uid.\nUsage: ${USAGE}` })
    const sinceText = flagString(args, "since")
    const since = sinceText === undefined ? undefined : new Date(sinceText)
    const options = { run, since }
    const output = flagString(args, "output")
    if (output !== undefined) {
      const written = yield* Adapters.openlineage.export(output, options)
      if (out.wantsJson) out.json(written)
      else out.line(`✓ wrote ${written.events} OpenLineage event(s) to ${written.file}`)
      return
    }
    const events = yield* Adapters.openlineage.events(options)
    if (out.wantsJson) out.json(events)
    else process.stdout.write(toJsonLines(events))
  })
