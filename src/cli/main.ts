/**
 * The `lamina` command line: dispatch to one command per file in `commands/`.
 *
 * @module
 */
import { Cause, Effect, Exit, Layer, Logger, LogLevel, Option } from "effect"
import { InvalidArgument, type LaminaError } from "../errors.js"
import * as Lamina from "../instance/Lamina.js"
import { instanceSettingsFor } from "../instance/settings.js"
import { flagString, globalFlags, parseArgs, type FlagSpec, type ParsedArgs } from "./args.js"
import type { Command, ExitCode, Output } from "./command.js"
import { command as check } from "./commands/check.js"
import { command as del } from "./commands/delete.js"
import { command as describe } from "./commands/describe.js"
import { command as exportCommand } from "./commands/export.js"
import { command as gc } from "./commands/gc.js"
import { command as importCommand } from "./commands/import.js"
import { command as ingest } from "./commands/ingest.js"
import { command as init } from "./commands/init.js"
import { command as load } from "./commands/load.js"
import { command as lineage } from "./commands/lineage.js"
import { command as ls } from "./commands/ls.js"
import { command as runCommand } from "./commands/run.js"
import { command as save } from "./commands/save.js"
import { command as restore } from "./commands/restore.js"
import { command as search } from "./commands/search.js"
import { command as ui } from "./commands/ui.js"
import { command as annotate } from "./commands/annotate.js"
import { command as collection } from "./commands/collection.js"
import { feature, project, record, ulabel } from "./commands/create.js"
import { command as schema } from "./commands/schema.js"
import { command as validate } from "./commands/validate.js"
import { command as why } from "./commands/why.js"
import { command as worker } from "./commands/worker.js"
import { versionLines } from "./version.js"

/** Every command, in help order. */
export const commands: ReadonlyArray<Command> = [init, save, load, describe, ls, search, lineage, why, del, restore, ingest, runCommand, check, gc, exportCommand, importCommand, ui, feature, ulabel, record, project, annotate, collection, schema, validate, worker]

const flagHelp = (flags: Readonly<Record<string, FlagSpec>>): string =>
  Object.entries({ ...flags, ...globalFlags })
    .map(([n, s]) => `  --${n.replace(/_/g, "-")}${s.alias ? `, -${s.alias}` : ""}${s.type === "boolean" ? "" : ` ${s.type.toUpperCase()}`}\n      ${s.description}`)
    .join("\n")

const usage = (): string =>
  [
    "lamina — lineage-native data framework",
    "",
    "Usage: lamina COMMAND [ARGS] [--instance NAME|PATH] [--json] [--verbose]",
    "       lamina --version [--verbose]    lamina help COMMAND",
    "",
    ...commands.map((c) => `  ${c.name.padEnd(10)} ${c.summary}`),
    "",
    "Run 'lamina help COMMAND' (or 'lamina COMMAND --help') for a command's options."
  ].join("\n")

// Logs (warnings such as "returning artifact with same hash") go to stderr: stdout stays clean for --json.
const stderrLogger = Logger.make(({ logLevel, message }) => {
  const text = Array.isArray(message) ? message.map(String).join(" ") : String(message)
  process.stderr.write(`${logLevel.label.toLowerCase()}: ${text}\n`)
})

const makeOutput = (args: ParsedArgs): Output => ({
  wantsJson: args.flags.json === true,
  line: (text) => void process.stdout.write(text + "\n"),
  json: (value) => void process.stdout.write(JSON.stringify(value, null, 2) + "\n")
})

/** A command's help: usage, summary, every option (its own and the global ones), notes. */
export const commandHelp = (cmd: Command): string =>
  `${cmd.usage}\n\n${cmd.summary}\n\nOptions:\n${flagHelp(cmd.flags)}${cmd.notes ? `\n\n${cmd.notes}` : ""}`

/** The instance a command runs on: `--instance NAME|PATH`, else the current one. */
const instanceLayer = (args: ParsedArgs) => {
  const ref = flagString(args, "instance")
  return ref === undefined ? Lamina.layerFromSettings : Layer.unwrapEffect(Effect.map(instanceSettingsFor(ref), (settings) => Lamina.layerSettings(settings)))
}

const run = (cmd: Command, args: ParsedArgs): Effect.Effect<void | ExitCode, LaminaError> => {
  const out = makeOutput(args)
  if (cmd.maxPositionals !== undefined && args.positionals.length > cmd.maxPositionals)
    return Effect.fail(
      new InvalidArgument({
        message: `'lamina ${cmd.name}' takes ${cmd.maxPositionals === 0 ? "no arguments" : `at most ${cmd.maxPositionals} argument${cmd.maxPositionals === 1 ? "" : "s"}`}; unexpected: ${args.positionals
          .slice(cmd.maxPositionals)
          .map((p) => `'${p}'`)
          .join(" ")} (quote values with spaces).\nUsage: ${cmd.usage}`
      })
    )
  if (!cmd.needsInstance) {
    if (args.flags.instance !== undefined)
      return Effect.fail(new InvalidArgument({ message: `'lamina ${cmd.name}' does not take --instance: it ${cmd.name === "init" ? "creates or connects the instance given by --storage" : "needs no instance"}.` }))
    return cmd.run(args, out)
  }
  return Effect.provide(cmd.run(args, out), instanceLayer(args))
}

/** Run the CLI with `argv` (without node and script); resolves to the exit code. */
export const main = async (argv: ReadonlyArray<string>): Promise<number> => {
  const [name, ...rest] = argv
  const verbose = rest.includes("--verbose")
  if (name === "--version" || name === "-V" || name === "version") {
    process.stdout.write((await Effect.runPromise(versionLines(verbose))).join("\n") + "\n")
    return 0
  }
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    const topic = rest.find((a) => !a.startsWith("-"))
    if (topic !== undefined) {
      const c = commands.find((x) => x.name === topic)
      if (c === undefined) {
        process.stderr.write(`error: Unknown command '${topic}'. Commands: ${commands.map((x) => x.name).join(", ")}.\n`)
        return 2
      }
      process.stdout.write(commandHelp(c) + "\n")
      return 0
    }
    process.stdout.write(usage() + "\n")
    return name === undefined ? 1 : 0
  }
  const cmd = commands.find((c) => c.name === name)
  let exit: Exit.Exit<void | ExitCode, LaminaError>
  if (cmd === undefined) {
    exit = Exit.fail(new InvalidArgument({ message: `Unknown command '${name}'. Commands: ${commands.map((c) => c.name).join(", ")}.` }))
  } else {
    const parsed = Effect.try({ try: () => parseArgs(rest, cmd.flags), catch: (e) => e as InvalidArgument })
    exit = await Effect.runPromiseExit(
      parsed.pipe(
        Effect.flatMap((args) =>
          args.flags.help === true
            ? Effect.sync(() => void process.stdout.write(`${commandHelp(cmd)}\n`))
            : run(cmd, args)
        ),
        Effect.provide(Logger.replace(Logger.defaultLogger, stderrLogger)),
        Logger.withMinimumLogLevel(verbose ? LogLevel.Debug : LogLevel.Info)
      )
    )
  }
  if (Exit.isSuccess(exit)) return exit.value === undefined ? 0 : exit.value.exitCode
  const failure = Cause.failureOption(exit.cause)
  if (Option.isSome(failure)) {
    const e = failure.value
    process.stderr.write(`error: ${e.message}\n`)
    if (verbose) process.stderr.write(`${Cause.pretty(exit.cause)}\n`)
    return e._tag === "InvalidArgument" ? 2 : 1
  }
  process.stderr.write(`error: internal error: ${Cause.squash(exit.cause) instanceof Error ? (Cause.squash(exit.cause) as Error).message : String(Cause.squash(exit.cause))}\n`)
  if (verbose) process.stderr.write(`${Cause.pretty(exit.cause)}\n`)
  else process.stderr.write("(run again with --verbose for details; please report this)\n")
  return 70
}
