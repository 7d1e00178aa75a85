/**
 * A small, strict argument parser for the `lamina` CLI. (@effect/cli with @effect/platform-node
 * costs ~0.45 s of module loading per invocation; the CLI must answer in well under 0.5 s.)
 *
 * @module
 */
import { InvalidArgument } from "../errors.js"

/** A flag's declaration. */
export interface FlagSpec {
  readonly type: "string" | "boolean" | "number"
  readonly description: string
  /** May be given several times; the value is then an array. */
  readonly multiple?: boolean
  /** One-letter alias, e.g. "n" for "-n". */
  readonly alias?: string
}

/** Parsed arguments: positionals and flags by name. */
export interface ParsedArgs {
  readonly positionals: ReadonlyArray<string>
  readonly flags: Readonly<Record<string, string | number | boolean | ReadonlyArray<string>>>
}

/** Flags every command accepts. */
export const globalFlags: Readonly<Record<string, FlagSpec>> = {
  json: { type: "boolean", description: "print exactly one JSON value on stdout" },
  verbose: { type: "boolean", description: "print stack traces on errors" },
  instance: {
    type: "string",
    description: "NAME|PATH: run on this instance — a name 'lamina init' remembered, or a local instance's folder — without making it current"
  },
  help: { type: "boolean", alias: "h", description: "show help" }
}

/** Parse `argv` against declared flags; unknown flags and missing values are `InvalidArgument`s. */
export const parseArgs = (argv: ReadonlyArray<string>, specs: Readonly<Record<string, FlagSpec>>): ParsedArgs => {
  const all = { ...globalFlags, ...specs }
  const byAlias = new Map(Object.entries(all).flatMap(([name, s]) => (s.alias ? [[s.alias, name] as const] : [])))
  const positionals: Array<string> = []
  const flags: Record<string, string | number | boolean | Array<string>> = {}
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1))
      break
    }
    if (!arg.startsWith("-") || arg === "-") {
      positionals.push(arg)
      continue
    }
    const [rawName, inline] = arg.startsWith("--") ? splitInline(arg.slice(2)) : [byAlias.get(arg.slice(1)) ?? arg.slice(1), undefined]
    const name = rawName.replace(/-/g, "_")
    const spec = all[name] ?? all[rawName]
    if (spec === undefined)
      throw new InvalidArgument({ message: `Unknown option '${arg}'. Options: ${Object.keys(all).map((n) => `--${n.replace(/_/g, "-")}`).join(", ")}` })
    if (spec.type === "boolean") {
      flags[name] = inline === undefined ? true : inline !== "false"
      continue
    }
    const value = inline ?? argv[++i]
    if (value === undefined) throw new InvalidArgument({ message: `Option '${arg}' needs a value.` })
    let parsed: string | number = value
    if (spec.type === "number") {
      parsed = Number(value)
      if (!Number.isFinite(parsed)) throw new InvalidArgument({ message: `Option '${arg}' needs a number, got '${value}'.` })
    }
    if (spec.multiple) flags[name] = [...((flags[name] as Array<string> | undefined) ?? []), String(parsed)]
    else flags[name] = parsed
  }
  return { positionals, flags }
}

const splitInline = (s: string): [string, string | undefined] => {
  const eq = s.indexOf("=")
  return eq < 0 ? [s, undefined] : [s.slice(0, eq), s.slice(eq + 1)]
}

/** Typed flag readers. */
export const flagString = (args: ParsedArgs, name: string): string | undefined => {
  const v = args.flags[name]
  return v === undefined ? undefined : String(v)
}
export const flagNumber = (args: ParsedArgs, name: string): number | undefined => {
  const v = args.flags[name]
  return v === undefined ? undefined : Number(v)
}
export const flagBoolean = (args: ParsedArgs, name: string): boolean => args.flags[name] === true
export const flagList = (args: ParsedArgs, name: string): ReadonlyArray<string> => {
  const v = args.flags[name]
  return v === undefined ? [] : Array.isArray(v) ? v : [String(v)]
}
