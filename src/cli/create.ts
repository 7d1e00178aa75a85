/**
 * Shared by the `lamina <registry> create NAME …` commands: the subcommand check and how a
 * created record prints (`--json`: its fields, private `_…` ones left out).
 *
 * @module
 */
import { Effect } from "effect"
import { InvalidArgument } from "../errors.js"
import type { ParsedArgs } from "./args.js"
import type { Output } from "./command.js"

/** The NAME of `lamina <registry> create NAME`; `InvalidArgument` with the usage otherwise. */
export const createName = (args: ParsedArgs, usage: string): Effect.Effect<string, InvalidArgument> => {
  const [sub, name, ...rest] = args.positionals
  if (sub !== "create" || name === undefined || name === "" || rest.length > 0)
    return Effect.fail(new InvalidArgument({ message: `Usage: ${usage}${rest.length > 0 ? ` (quote a name with spaces; got extra '${rest.join(" ")}')` : ""}` }))
  return Effect.succeed(name)
}

/** A record's public fields as JSON (dates as ISO text). */
export const recordJson = (record: object): Readonly<Record<string, unknown>> =>
  Object.fromEntries(Object.entries(record).filter(([k]) => !k.startsWith("_")).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : v]))

/** Print a created (or existing) record. */
export const printRecord = (out: Output, registry: string, record: { readonly uid: string; readonly name?: string | null }, detail = ""): void => {
  if (out.wantsJson) out.json(recordJson(record))
  else out.line(`${registry} '${record.name ?? record.uid}' (${record.uid})${detail === "" ? "" : ` ${detail}`}`)
}
