/**
 * src/cli/resolve.ts: a registry that fails mid-command is reported as the outage it is —
 * never as "No artifact …" — so the command exits non-zero with the right reason. The
 * registry is a real Postgres reached through a loopback TCP proxy the test cuts.
 */
import * as net from "node:net"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect, Exit, ManagedRuntime } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import { resolveArtifact, resolveDescribed } from "../../src/cli/resolve.js"
import * as Lamina from "../../src/instance/Lamina.js"
import { Artifact } from "../../src/registry/Artifact.js"
import { requireComponent } from "../support/env.js"
import { createDatabase, postgresAvailable } from "../support/postgres.js"

const pgUp = requireComponent(await postgresAvailable(), "PostgreSQL is not reachable at 127.0.0.1:5432")

/** A TCP proxy to 127.0.0.1:5432 that can be cut: open connections reset, new ones refused. */
const startProxy = async () => {
  const sockets = new Set<net.Socket>()
  const server = net.createServer((client) => {
    const upstream = net.connect(5432, "127.0.0.1")
    sockets.add(client).add(upstream)
    client.pipe(upstream).pipe(client)
    const close = () => (client.destroy(), upstream.destroy())
    client.on("error", close).on("close", close)
    upstream.on("error", close).on("close", close)
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  return {
    port: (server.address() as net.AddressInfo).port,
    cut: () => new Promise<void>((resolve) => (server.close(() => resolve()), sockets.forEach((s) => s.destroy())))
  }
}

;(pgUp ? describe : describe.skip)("CLI record resolution when the registry fails", { timeout: 180_000 }, () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "lamina-resolve-"))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it("an outage is an outage (StorageError saying so), not 'No artifact'", async () => {
    process.env.LAMINA_HOME ??= path.join(dir, "home")
    const database = await createDatabase()
    const proxy = await startProxy()
    const url = new URL(database.url)
    url.port = String(proxy.port)
    const runtime = ManagedRuntime.make(Lamina.layer({ storage: path.join(dir, "storage"), db: url.toString() }))
    try {
      const file = path.join(dir, "a.csv")
      writeFileSync(file, "a\n1\n")
      const saved = await runtime.runPromise(Effect.flatMap(Artifact.fromPath(file, { key: "raw/a.csv" }), (p) => p.save()))
      expect((await runtime.runPromise(resolveArtifact("raw/a.csv"))).uid).toBe(saved.uid)
      const missing = await runtime.runPromiseExit(resolveArtifact("raw/none.csv"))
      expect(Exit.isFailure(missing) && missing.cause._tag === "Fail" && missing.cause.error._tag).toBe("DoesNotExist")

      await proxy.cut()
      const lookups: ReadonlyArray<Effect.Effect<unknown, { readonly _tag: string; readonly message: string }, Lamina.Lamina>> = [
        resolveArtifact("raw/a.csv"),
        resolveArtifact(saved.uid),
        resolveDescribed("raw/a.csv")
      ]
      for (const lookup of lookups) {
        const exit = await runtime.runPromiseExit(Effect.timeout(lookup, "30 seconds"))
        expect(Exit.isFailure(exit)).toBe(true)
        if (Exit.isFailure(exit) && exit.cause._tag === "Fail") {
          const e = exit.cause.error
          expect(e._tag).toBe("StorageError")
          expect(e.message).toMatch(/registry could not be queried while looking up .*not a missing record/)
          expect(e.message).not.toMatch(/^No artifact/)
        } else throw new Error(`expected a failure, got ${String(exit)}`)
      }
    } finally {
      await runtime.dispose().catch(() => undefined)
      await database.drop()
    }
  })
})
