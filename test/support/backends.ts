/**
 * Backend-neutral suites: `describeBackends(name, suite)` runs `suite` once against SQLite and
 * once against Postgres, each test on a fresh instance (storage + registry). With
 * `{ storages: ["local", "s3"] }` it runs on {SQLite, Postgres} × {local folder, S3 (s3rver on
 * loopback)}; suites reach storage only through the `TestInstance` helpers, so one suite
 * covers every combination.
 */
import { randomBytes } from "node:crypto"
import { mkdtempSync, rmSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect, Layer, ManagedRuntime } from "effect"
import { afterAll, beforeAll, describe } from "vitest"
import type { S3Settings } from "../../src/instance/settings.js"
import * as Lamina from "../../src/instance/Lamina.js"
import type { ObjectInfo } from "../../src/storage/ObjectStore.js"
import { ObjectStore } from "../../src/storage/ObjectStore.js"
import { requireComponent } from "./env.js"
import { createDatabase, createSchema, postgresAvailable } from "./postgres.js"
import { useS3Server } from "./s3.js"

// Tests never touch the developer's own ~/.lamina; a home made here is removed after the file's tests.
if (process.env.LAMINA_HOME === undefined) {
  const home = mkdtempSync(path.join(os.tmpdir(), "lamina-home-"))
  process.env.LAMINA_HOME = home
  afterAll(() => rmSync(home, { recursive: true, force: true }))
}

/** The registry backends every suite runs on. */
export type BackendName = "sqlite" | "pg"

/** The storage kinds a suite can run on. */
export type StorageKind = "local" | "s3"

/** A connected throwaway instance. */
export interface TestInstance {
  readonly backend: BackendName
  readonly storageKind: StorageKind
  /** The storage root: an absolute folder or `s3://bucket/prefix`. */
  readonly storage: string
  readonly db: string
  /** S3 connection settings (S3 storage only), e.g. to connect other processes. */
  readonly s3?: S3Settings
  /** A local scratch folder for the test's input files (and the cache of S3 instances). */
  readonly dir: string
  /** The full path or URI of a storage key. */
  readonly uri: (key: string) => string
  /** Write an object straight into storage, the way another tool would (no registry row). */
  readonly putRaw: (key: string, content: string | Uint8Array) => Promise<void>
  /** Delete an object straight from storage, the way another tool would (its row stays). */
  readonly removeRaw: (key: string) => Promise<void>
  /** The objects below a storage prefix, keys relative to the root, sorted. */
  readonly storedKeys: (prefix: string) => Promise<ReadonlyArray<string>>
  /** Whether a storage key is an object. */
  readonly exists: (key: string) => Promise<boolean>
  /** Run an effect against this instance. */
  readonly run: <A, E>(effect: Effect.Effect<A, E, Lamina.Lamina>) => Promise<A>
  /** Run and return the failure (the test fails if the effect succeeds). */
  readonly fail: <A, E>(effect: Effect.Effect<A, E, Lamina.Lamina>) => Promise<E>
  readonly close: () => Promise<void>
}

/** What a suite gets: a factory of fresh instances on its backend. */
export interface BackendContext {
  readonly backend: BackendName
  readonly storageKind: StorageKind
  /** A fresh, connected instance; closed after the suite. */
  readonly instance: (options?: { readonly storage?: string }) => Promise<TestInstance>
}

/** Options of `describeBackends`. */
export interface DescribeOptions {
  /** Storage kinds to run on; default `["local"]`. */
  readonly storages?: ReadonlyArray<StorageKind>
}

/** Connect a `TestInstance` for explicit settings. */
export const connect = async (
  backend: BackendName,
  storage: string,
  db: string,
  dir: string,
  s3?: S3Settings
): Promise<TestInstance> => {
  // The S3 store reads its cache folder when it connects: give each instance its own.
  if (s3 !== undefined) process.env.LAMINA_CACHE_DIR = path.join(dir, "cache")
  const runtime = ManagedRuntime.make(
    Lamina.layer({ storage, db, ...(s3 ? { s3 } : {}) }) as Layer.Layer<Lamina.Lamina, unknown>
  )
  await runtime.runPromise(Effect.void)
  const withStore = <A>(f: (store: ObjectStore) => Effect.Effect<A, unknown>) => runtime.runPromise(Effect.flatMap(ObjectStore, f))
  const store = await withStore(Effect.succeed)
  return {
    backend,
    storageKind: s3 === undefined ? "local" : "s3",
    storage,
    db,
    ...(s3 ? { s3 } : {}),
    dir,
    uri: (key) => store.uri(key),
    putRaw: (key, content) =>
      withStore((s) => Effect.asVoid(s.putBytes(key, typeof content === "string" ? Buffer.from(content) : content))),
    removeRaw: (key) => withStore((s) => s.remove(key)),
    storedKeys: (prefix) => withStore((s) => Effect.map(s.list(prefix), (l: ReadonlyArray<ObjectInfo>) => l.map((o) => o.key).sort())),
    exists: (key) => withStore((s) => s.exists(key)),
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

/** Run `suite` against SQLite and Postgres (× the storage kinds in `options`). */
export const describeBackends = (name: string, suite: (ctx: BackendContext) => void, options: DescribeOptions = {}): void => {
  for (const storageKind of options.storages ?? ["local"])
    for (const backend of ["sqlite", "pg"] as const) describeOne(name, backend, storageKind, suite)
}

const describeOne = (name: string, backend: BackendName, storageKind: StorageKind, suite: (ctx: BackendContext) => void): void => {
  const enabled = backend === "sqlite" || pgEnabled
    ;(enabled ? describe : describe.skip)(`${name} [${backend}${storageKind === "local" ? "" : `, ${storageKind}`}]`, () => {
      const opened: Array<TestInstance> = []
      const dirs: Array<string> = []
      let database: { readonly url: string; readonly drop: () => Promise<void> } | undefined
      const s3 = storageKind === "s3" ? useS3Server() : undefined
      let bucket: string | undefined
      beforeAll(async () => {
        if (backend === "pg") database = await createDatabase()
        if (s3 !== undefined) bucket = await s3().createBucket()
      })
      afterAll(async () => {
        for (const i of opened) await i.close()
        await database?.drop()
        for (const d of dirs) rmSync(d, { recursive: true, force: true })
      })
      suite({
        backend,
        storageKind,
        instance: async (options) => {
          const dir = mkdtempSync(path.join(os.tmpdir(), `lamina-${backend}-`))
          dirs.push(dir)
          const storage =
            s3 !== undefined ? `s3://${bucket}/${randomBytes(5).toString("hex")}` : (options?.storage ?? path.join(dir, "storage"))
          const db = backend === "pg" ? await createSchema(database!.url) : path.join(dir, "registry.db")
          const instance = await connect(backend, storage, db, dir, s3 !== undefined ? { endpoint: s3().endpoint, forcePathStyle: true } : undefined)
          opened.push(instance)
          return instance
        }
      })
    })
}
