/**
 * Backend-neutral suites: `describeBackends(name, suite)` runs `suite` once against SQLite and
 * once against Postgres, each test on a fresh instance (storage folder + registry).
 */
import { mkdtempSync, rmSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect, Layer, ManagedRuntime } from "effect"
import { afterAll, beforeAll, describe } from "vitest"
import * as Lamina from "../../src/instance/Lamina.js"
import { requireComponent } from "./env.js"
import { createDatabase, createSchema, postgresAvailable } from "./postgres.js"

// Tests never touch the developer's own ~/.lamina.
process.env.LAMINA_HOME ??= mkdtempSync(path.join(os.tmpdir(), "lamina-home-"))

/** The registry backends every suite runs on. */
export type BackendName = "sqlite" | "pg"

/** A connected throwaway instance. */
export interface TestInstance {
  readonly backend: BackendName
  readonly storage: string
  readonly db: string
  readonly dir: string
  /** Run an effect against this instance. */
  readonly run: <A, E>(effect: Effect.Effect<A, E, Lamina.Lamina>) => Promise<A>
  /** Run and return the failure (the test fails if the effect succeeds). */
  readonly fail: <A, E>(effect: Effect.Effect<A, E, Lamina.Lamina>) => Promise<E>
  readonly close: () => Promise<void>
}

/** What a suite gets: a factory of fresh instances on its backend. */
export interface BackendContext {
  readonly backend: BackendName
  /** A fresh, connected instance; closed after the suite. */
  readonly instance: (options?: { readonly storage?: string }) => Promise<TestInstance>
}

/** Connect a `TestInstance` for explicit settings. */
export const connect = async (backend: BackendName, storage: string, db: string, dir: string): Promise<TestInstance> => {
  const runtime = ManagedRuntime.make(Lamina.layer({ storage, db }) as Layer.Layer<Lamina.Lamina, unknown>)
  await runtime.runPromise(Effect.void)
  return {
    backend,
    storage,
    db,
    dir,
    run: (effect) => runtime.runPromise(effect),
    fail: async (effect) => {
      const exit = await runtime.runPromiseExit(Effect.flip(effect))
      if (exit._tag === "Success") return exit.value
      throw new Error(`expected a typed failure, got ${String(exit.cause)}`)
    },
    close: () => runtime.dispose()
  }
}

/** Whether the Postgres suites run: fails loudly when the server is down (see env.ts). */
const pgEnabled = requireComponent(await postgresAvailable(), "PostgreSQL is not reachable at 127.0.0.1:5432")

/** Run `suite` against SQLite and Postgres. */
export const describeBackends = (name: string, suite: (ctx: BackendContext) => void): void => {
  for (const backend of ["sqlite", "pg"] as const) {
    const enabled = backend === "sqlite" || pgEnabled
    ;(enabled ? describe : describe.skip)(`${name} [${backend}]`, () => {
      const opened: Array<TestInstance> = []
      const dirs: Array<string> = []
      let database: { readonly url: string; readonly drop: () => Promise<void> } | undefined
      beforeAll(async () => {
        if (backend === "pg") database = await createDatabase()
      })
      afterAll(async () => {
        for (const i of opened) await i.close()
        await database?.drop()
        for (const d of dirs) rmSync(d, { recursive: true, force: true })
      })
      suite({
        backend,
        instance: async (options) => {
          const dir = mkdtempSync(path.join(os.tmpdir(), `lamina-${backend}-`))
          dirs.push(dir)
          const storage = options?.storage ?? path.join(dir, "storage")
          const db = backend === "pg" ? await createSchema(database!.url) : path.join(dir, "registry.db")
          const instance = await connect(backend, storage, db, dir)
          opened.push(instance)
          return instance
        }
      })
    })
  }
}
