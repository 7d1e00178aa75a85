/**
 * `lamina export`: a portable dump of the instance (`lamina export DIR [--no-data]`, read back
 * by `lamina import`), or runs as OpenLineage events (`lamina export openlineage …`).
 *
 * @module
 */
import type { Command } from "../command.js"
import { DUMP_USAGE, exportDump } from "./export-dump.js"
import { exportOpenLineage, OPENLINEAGE_USAGE } from "./export-openlineage.js"

/** The `export` command. */
export const command: Command = {
  name: "export",
  summary: "write a portable dump of the instance (registries + objects), or runs as OpenLineage events",
  usage: `${DUMP_USAGE}\n       ${OPENLINEAGE_USAGE}`,
  flags: {
    no_data: { type: "boolean", description: "dump: rows only, the objects stay in storage (to move the registry to another database)" },
    since: { type: "string", description: "openlineage: runs created at or after DATE (2026-03-25 or an ISO time)" },
    output: { type: "string", alias: "o", description: "openlineage: write to FILE instead of stdout" }
  },
  needsInstance: true,
  // `openlineage` names the format; anything else is the dump's folder (write `./openlineage` for a folder of that name).
  run: (args, out) => (args.positionals[0] === "openlineage" ? exportOpenLineage(args, out) : exportDump(args, out))
}
