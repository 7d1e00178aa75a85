/**
 * Distributed: start two runners (`lamina worker`) on loopback and run a fan-out across them.
 *
 *   estimate(1) … estimate(8) ── spread over runner A and runner B ──┐
 *                                                                   combine → pi/estimate.json
 *
 * Runners and callers meet in a Postgres registry: the example uses the current instance when
 * it has one, else a team instance of its own on `LAMINA_EXAMPLE_DB` (default
 * postgresql://postgres@127.0.0.1:5432/lamina_example, created if missing) with storage in the
 * example's work folder. Progress lines name the runner of each step; a rerun is all cache hits
 * (nothing is sent to the runners). See docs/distributed.md.
 *
 * @module
 */
import { spawn, type ChildProcess } from "node:child_process"
import { existsSync, mkdirSync } from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { Effect, Layer } from "effect"
import pg from "pg"
import { cluster } from "../../../src/cluster/layer.js"
import { isPostgresUrl } from "../../../src/db/url.js"
import { Instance } from "../../../src/instance/Instance.js"
import * as Lamina from "../../../src/instance/Lamina.js"
import { saveInstanceSettings, type InstanceSettings } from "../../../src/instance/settings.js"
import type { ExampleContext } from "../_lib/example.js"
import { piFlow } from "./steps.js"

export const description = "Two runners (lamina worker) on loopback; 8 CPU-bound steps spread over them, then combined"

const here = path.dirname(fileURLToPath(import.meta.url))

/** A Postgres instance for the example: the current one, else one of its own. */
const exampleInstance = (workDir: string) =>
  Effect.gen(function* () {
    const current = yield* Instance
    if (isPostgresUrl(current.settings.db)) return current.settings
    const db = process.env.LAMINA_EXAMPLE_DB ?? "postgresql://postgres@127.0.0.1:5432/lamina_example"
    yield* Effect.promise(async () => {
      const url = new URL(db)
      const name = url.pathname.slice(1)
      url.pathname = "/postgres"
      const admin = new pg.Client({ connectionString: url.toString() })
      await admin.connect()
      try {
        const found = await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [name])
        if (found.rowCount === 0) await admin.query(`CREATE DATABASE "${name.replace(/"/g, "")}"`)
      } finally {
        await admin.end()
      }
    })
    const storage = path.join(workDir, "storage")
    mkdirSync(storage, { recursive: true })
    return yield* Lamina.resolveSettings({ storage, db, name: "lamina-example" })
  })

/** Start `lamina worker` with the instance in its own LAMINA_HOME; resolves once it is ready. */
const startWorker = (home: string, port: number): Effect.Effect<ChildProcess, Error> =>
  Effect.async<ChildProcess, Error>((resume) => {
    const cli = path.resolve(here, "../../../lamina.mjs")
    const steps = path.join(here, existsSync(path.join(here, "steps.js")) ? "steps.js" : "steps.ts")
    const child = spawn(process.execPath, [cli, "worker", "--module", steps, "--listen", `127.0.0.1:${port}`, "--concurrency", "2", "--drain", "5"], {
      stdio: ["ignore", "inherit", "pipe"],
      env: { ...process.env, LAMINA_HOME: home }
    })
    let err = ""
    child.stderr!.on("data", (d: Buffer) => {
      const text = d.toString()
      process.stderr.write(text)
      err += text
      if (/runner \S+ on \S+ ready/.test(err)) resume(Effect.succeed(child))
    })
    child.on("exit", (code) => resume(Effect.fail(new Error(`lamina worker exited with ${code} (is the CLI built? npm run build): ${err.trim()}`))))
    // Interrupted (the other worker failed to start): stop this one too, or it outlives the example.
    return Effect.sync(() => child.kill("SIGKILL"))
  })

/** SIGTERM (the runner drains, then leaves the cluster); SIGKILL if it is still there after 30 s. */
const stopWorker = (child: ChildProcess) =>
  Effect.async<void>((resume) => {
    if (child.exitCode !== null || child.signalCode !== null) return resume(Effect.void)
    const kill = setTimeout(() => child.kill("SIGKILL"), 30_000)
    child.once("exit", () => {
      clearTimeout(kill)
      resume(Effect.void)
    })
    child.kill("SIGTERM")
  })

export const main = (ctx: ExampleContext) =>
  Effect.gen(function* () {
    const settings: InstanceSettings = yield* exampleInstance(ctx.workDir)
    const home = path.join(ctx.workDir, "home")
    mkdirSync(home, { recursive: true })
    // The workers read the instance from their LAMINA_HOME.
    const saved = process.env.LAMINA_HOME
    process.env.LAMINA_HOME = home
    yield* Effect.ensuring(saveInstanceSettings(settings), Effect.sync(() => (saved === undefined ? delete process.env.LAMINA_HOME : (process.env.LAMINA_HOME = saved))))
    return yield* Effect.acquireUseRelease(
      // Below Linux's ephemeral port range (32768–60999), where outgoing connections could hold them.
      Effect.all([startWorker(home, 24461), startWorker(home, 24462)], { concurrency: "unbounded" }),
      () =>
        piFlow(8, 3_000_000).pipe(
          Effect.provide(cluster({ waitForRunners: "60 seconds" }).pipe(Layer.provideMerge(Lamina.layerSettings(settings))))
        ),
      (workers) => Effect.forEach(workers, stopWorker, { discard: true })
    )
  })
