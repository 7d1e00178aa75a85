/**
 * `lamina worker --module ./pipeline.js [--concurrency N] [--listen HOST:PORT] [--advertise HOST:PORT]`:
 * run a runner for the current (Postgres) instance: it executes the steps the module exports
 * when flows using `cluster` (lamina/cluster) dispatch them, until Ctrl-C / SIGTERM (then it drains).
 *
 * @module
 */
import { existsSync } from "node:fs"
import * as path from "node:path"
import { Cause, Effect, Exit } from "effect"
import { InvalidArgument, StorageError } from "../../errors.js"
import { flagList, flagNumber, flagString } from "../args.js"
import type { Command } from "../command.js"

const USAGE = "lamina worker --module ./pipeline.js [--concurrency N] [--listen HOST:PORT] [--advertise HOST:PORT] [--drain SECONDS]"

/**
 * The library's `cluster/run.js`: next to the bundled CLI it is `dist/src/…`; unbundled it is
 * this file's `../../cluster/`. Loading it (not a bundled copy) gives the pipeline module and
 * the runner one copy of Lamina.
 */
const runModuleUrl = (): string => {
  const here = import.meta.url
  return here.endsWith("/lamina.mjs") ? new URL("./src/cluster/run.js", here).href : new URL(`../../cluster/run${path.extname(new URL(here).pathname)}`, here).href
}

/** The `worker` command. */
export const command: Command = {
  name: "worker",
  summary: "Run a runner: execute the steps of a pipeline module for flows that use cluster() from lamina/cluster",
  usage: USAGE,
  flags: {
    module: { type: "string", description: "pipeline module exporting the steps (repeat or comma-separate for several)" },
    concurrency: { type: "number", description: "step bodies at once (default: the number of CPUs); also the runner's share of calls" },
    listen: { type: "string", description: "HOST:PORT to listen on (default 0.0.0.0:34431)" },
    advertise: { type: "string", description: "HOST:PORT other hosts reach this runner at (default: this host's name and the listen port)" },
    drain: { type: "number", description: "seconds calls in flight may finish after SIGTERM (default 60)" }
  },
  needsInstance: false,
  run: (args, out) =>
    Effect.gen(function* () {
      if (args.positionals.length > 0) return yield* new InvalidArgument({ message: `'lamina worker' takes no arguments.\nUsage: ${USAGE}` })
      const modules = flagList(args, "module").flatMap((m) => m.split(",")).map((m) => m.trim()).filter((m) => m.length > 0)
      if (modules.length === 0) return yield* new InvalidArgument({ message: `Pass the pipeline module whose steps this runner executes: --module ./pipeline.js\nUsage: ${USAGE}` })
      for (const m of modules)
        if (!/^[a-z]+:/i.test(m) && !existsSync(path.resolve(m))) return yield* new InvalidArgument({ message: `--module ${m}: no such file (relative paths start from ${process.cwd()}).` })
      const concurrency = flagNumber(args, "concurrency")
      const drain = flagNumber(args, "drain")
      if (drain !== undefined && !(drain >= 0)) return yield* new InvalidArgument({ message: `--drain must be a number of seconds ≥ 0, got ${drain}.` })
      const listen = flagString(args, "listen")
      const advertise = flagString(args, "advertise")
      const { runWorker } = (yield* Effect.promise(() => import(runModuleUrl()))) as typeof import("../../cluster/run.js")
      const exit = yield* Effect.promise(() =>
        runWorker({
          modules,
          ...(concurrency !== undefined ? { concurrency } : {}),
          ...(listen !== undefined ? { listen } : {}),
          ...(advertise !== undefined ? { advertise } : {}),
          ...(drain !== undefined ? { drain: `${drain} seconds` } : {}),
          print: (line) => (out.wantsJson ? undefined : process.stderr.write(`${line}\n`))
        }).catch((e: unknown) => Exit.fail(e))
      )
      if (Exit.isSuccess(exit) || Cause.isInterruptedOnly(exit.cause)) return
      const f = Cause.squash(exit.cause)
      if (f instanceof InvalidArgument || f instanceof StorageError) return yield* f
      return yield* new StorageError({ message: `The runner stopped: ${f instanceof Error ? f.message : String(f)}` })
    })
}
