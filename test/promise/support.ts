/**
 * Promise-API test helpers: a `lamina/promise` connection to a suite's throwaway instance.
 */
import { mkdirSync, writeFileSync } from "node:fs"
import * as path from "node:path"
import { onTestFinished } from "vitest"
import { connect, type Artifact, type Connection, type ConnectOptions } from "../../src/promise/index.js"
import type { BackendContext, TestInstance } from "../support/backends.js"

/** A fresh instance of the suite's backend and a Promise connection to it (closed after the test). */
export const promiseInstance = async (
  ctx: BackendContext,
  options: Omit<ConnectOptions, "storage" | "db" | "s3"> = {}
): Promise<{ readonly i: TestInstance; readonly lm: Connection }> => {
  const i = await ctx.instance()
  const lm = await connect({ storage: i.storage, db: i.db, ...(i.s3 ? { s3: i.s3 } : {}), ...options })
  onTestFinished(() => lm.close())
  return { i, lm }
}

let counter = 0

/** Write `content` to a fresh file under the instance's scratch folder; returns its path. */
export const scratchFile = (i: TestInstance, name: string, content: string | Uint8Array): string => {
  const p = path.join(i.dir, "files", `${process.pid}-${counter++}`, name)
  mkdirSync(path.dirname(p), { recursive: true })
  writeFileSync(p, content)
  return p
}

/** Save text as an artifact at `key` through the Promise API (an output when called in a step). */
export const saveText = async (lm: Connection, i: TestInstance, key: string, content: string): Promise<Artifact> =>
  (await lm.Artifact.fromPath(scratchFile(i, path.basename(key), content), { key })).save()

/** An artifact's bytes as text (an input when called in a step). */
export const textOf = async (artifact: { readonly load: () => Promise<Uint8Array> }): Promise<string> => Buffer.from(await artifact.load()).toString("utf8")
