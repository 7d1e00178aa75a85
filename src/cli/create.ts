/**
 * The `lamina <registry> create NAME …` commands, one generic command per registry
 * declaration: the subcommand check, the registry's string flags gathered into fields, its
 * `create`, and how a created record prints (`--json`: its fields, private `_…` ones left out).
 *
 * @module
 */
import { Effect } from "effect"
import type { LaminaError } from "../errors.js"
import { InvalidArgument } from "../errors.js"
import type { Lamina } from "../instance/Lamina.js"
import { flagString, type FlagSpec, type ParsedArgs } from "./args.js"
import type { Command, Output } from "./command.js"

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

/** A created record as the command prints it. */
type Created = { readonly uid: string; readonly name?: string | null }

/** What makes one registry's `create` command. */
export interface CreateCommandSpec<R extends Created> {
  /** The registry's declaration: the command is its name in lower case, records print under its name. */
  readonly registry: { readonly name: string }
  readonly summary: string
  readonly usage: string
  readonly flags: Readonly<Record<string, FlagSpec>>
  /**
   * Create the record. `given` holds the single-valued string flags that were passed, by flag
   * name (they are the registry's field names).
   */
  readonly create: (name: string, given: Readonly<Record<string, string>>, args: ParsedArgs) => Effect.Effect<R, LaminaError, Lamina>
  /** Text after the record in the confirmation line (`dtype float`, `of type Tissue`). */
  readonly detail?: (record: R, given: Readonly<Record<string, string>>) => string
}

/** `lamina <registry> create NAME [flags] [--json]` for a registry. */
export const createCommand = <R extends Created>(spec: CreateCommandSpec<R>): Command => ({
  name: spec.registry.name.toLowerCase(),
  summary: spec.summary,
  usage: spec.usage,
  flags: spec.flags,
  needsInstance: true,
  run: (args, out) =>
    Effect.gen(function* () {
      const name = yield* createName(args, spec.usage)
      const given: Record<string, string> = {}
      for (const [flag, f] of Object.entries(spec.flags)) {
        const v = f.type === "string" && f.multiple !== true ? flagString(args, flag) : undefined
        if (v !== undefined) given[flag] = v
      }
      const record = yield* spec.create(name, given, args)
      printRecord(out, spec.registry.name, record, spec.detail?.(record, given) ?? "")
    })
})
