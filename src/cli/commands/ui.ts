/**
 * `lamina ui [--port 4873] [--host 127.0.0.1] [--open]`: serve the web app over the current
 * instance until Ctrl-C. The server (and @effect/platform-node) loads only for this command.
 *
 * @module
 */
import { spawn } from "node:child_process"
import { Effect } from "effect"
import { InvalidArgument } from "../../errors.js"
import { flagBoolean, flagNumber, flagString } from "../args.js"
import type { Command } from "../command.js"

const USAGE = "lamina ui [--port 4873] [--host 127.0.0.1] [--open]"

/** Open `url` in the desktop's browser, if there is one (never fails the command). */
const openBrowser = (url: string): void => {
  const opener = process.platform === "darwin" ? "open" : process.platform === "win32" ? "explorer" : "xdg-open"
  try {
    spawn(opener, [url], { stdio: "ignore", detached: true }).on("error", () => process.stderr.write(`Could not start '${opener}': open ${url} yourself.\n`)).unref()
  } catch {
    process.stderr.write(`Could not start '${opener}': open ${url} yourself.\n`)
  }
}

/** The `ui` command. */
export const command: Command = {
  name: "ui",
  summary: "Serve a local web app for artifacts, runs, lineage and sweeps (read-only)",
  usage: USAGE,
  flags: {
    port: { type: "number", alias: "p", description: "port to listen on (default 4873; 0 picks a free one)" },
    host: { type: "string", description: "address to bind (default 127.0.0.1); any other host requires the printed token" },
    open: { type: "boolean", description: "open the app in the default browser" }
  },
  maxPositionals: 0,
  needsInstance: true,
  run: (args, out) =>
    Effect.gen(function* () {
      if (args.positionals.length > 0) return yield* new InvalidArgument({ message: `'lamina ui' takes no arguments.\nUsage: ${USAGE}` })
      const port = flagNumber(args, "port")
      const host = flagString(args, "host")
      const { startUi } = yield* Effect.promise(() => import("../../ui/server.js"))
      yield* Effect.scoped(
        Effect.gen(function* () {
          const ui = yield* startUi({ ...(port === undefined ? {} : { port }), ...(host === undefined ? {} : { host }) })
          if (out.wantsJson) out.json({ url: ui.url, host: ui.host, port: ui.port, token: ui.token ?? null })
          else {
            out.line(`Lamina UI: ${ui.url}`)
            if (ui.token !== undefined) out.line(`Access token (needed on every request; the URL above carries it): ${ui.token}`)
            out.line("Read-only. Press Ctrl-C to stop.")
          }
          if (flagBoolean(args, "open")) openBrowser(ui.url)
          // Serve until interrupted (Ctrl-C / SIGTERM).
          yield* Effect.async<never>(() => {
            const stop = () => process.exit(0)
            process.once("SIGINT", stop)
            process.once("SIGTERM", stop)
            return Effect.sync(() => {
              process.off("SIGINT", stop)
              process.off("SIGTERM", stop)
            })
          })
        })
      )
    })
}
