/**
 * The shape of a `lamina` CLI command. One file per command in `commands/`, listed in `main.ts`.
 *
 * @module
 */
import type { Effect } from "effect"
import type { LaminaError } from "../errors.js"
import type { Lamina } from "../instance/Lamina.js"
import type { FlagSpec, ParsedArgs } from "./args.js"

/** Where a command writes: stdout for results, stderr for progress and warnings. */
export interface Output {
  /** Print a line of human-readable output. */
  readonly line: (text: string) => void
  /** Print the command's single JSON value (with `--json`). */
  readonly json: (value: unknown) => void
  /** Whether `--json` was given. */
  readonly wantsJson: boolean
}

/** A process exit code a command chose (`lamina run` passes on the workflow's). */
export interface ExitCode {
  readonly exitCode: number
}

interface CommandInfo {
  readonly name: string
  readonly summary: string
  /** e.g. "lamina save PATH --key KEY [--description TEXT] [--json]" */
  readonly usage: string
  readonly flags: Readonly<Record<string, FlagSpec>>
}

/**
 * A CLI command. Most run on the current instance from `$LAMINA_HOME` (`needsInstance: true`);
 * `init` connects by itself.
 */
export type Command =
  | (CommandInfo & {
      readonly needsInstance: true
      readonly run: (args: ParsedArgs, out: Output) => Effect.Effect<void | ExitCode, LaminaError, Lamina>
    })
  | (CommandInfo & {
      readonly needsInstance: false
      readonly run: (args: ParsedArgs, out: Output) => Effect.Effect<void | ExitCode, LaminaError>
    })
