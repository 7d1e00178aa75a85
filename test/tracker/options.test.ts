/**
 * The Tracker's tuning options are checked when its layer is built (src/tracker/options.ts): a
 * lease or stale-claim bound that is not a positive number would end or take over live runs.
 */
import { mkdtempSync, rmSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect, Exit, Cause } from "effect"
import { describe, expect, it } from "vitest"
import { InvalidArgument } from "../../src/errors.js"
import * as Lamina from "../../src/instance/Lamina.js"
import { Instance } from "../../src/instance/Instance.js"
import { trackerOptionsProblem, type TrackerOptions } from "../../src/tracker/options.js"

describe("Tracker options", () => {
  it("accepts what is left out and valid values, 0 for shortCallMs included", () => {
    expect(trackerOptionsProblem({})).toBeUndefined()
    expect(trackerOptionsProblem({ leaseMs: 1500, heartbeatMs: 100, staleClaimMs: 2000, maxBatch: 1, shortCallMs: 0 })).toBeUndefined()
  })

  it("refuses each invalid value, naming the option, what it must be and what it got", () => {
    const bad: ReadonlyArray<readonly [TrackerOptions, string]> = [
      [{ leaseMs: -1 }, "leaseMs must be a positive number of milliseconds, got -1"],
      [{ leaseMs: 0 }, "leaseMs must be a positive number of milliseconds, got 0"],
      [{ heartbeatMs: Number.NaN }, "heartbeatMs must be a positive number of milliseconds, got NaN"],
      [{ staleClaimMs: Number.POSITIVE_INFINITY }, "staleClaimMs must be a positive number of milliseconds, got Infinity"],
      [{ maxBatch: 0 }, "maxBatch must be a whole number of writes, at least 1, got 0"],
      [{ maxBatch: 2.5 }, "maxBatch must be a whole number of writes, at least 1, got 2.5"],
      [{ shortCallMs: -5 }, "shortCallMs must be a number of milliseconds, 0 or more"],
      [{ leaseMs: "60000" } as unknown as TrackerOptions, 'leaseMs must be a positive number of milliseconds, got "60000"'],
      [null as unknown as TrackerOptions, "Tracker options must be an object"]
    ]
    for (const [options, message] of bad) {
      const problem = trackerOptionsProblem(options)
      expect(problem, JSON.stringify(options)).toBeInstanceOf(InvalidArgument)
      expect(problem?.message).toContain(message)
    }
  })

  it("building an instance's layer with a bad option fails with the typed error; valid options connect", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "lamina-tracker-options-"))
    const home = process.env.LAMINA_HOME
    // Never the developer's own ~/.lamina.
    process.env.LAMINA_HOME = path.join(dir, "home")
    try {
      const settings = Effect.runSync(Lamina.resolveSettings({ storage: path.join(dir, "storage") }))
      const exit = await Effect.runPromiseExit(Effect.provide(Instance, Lamina.layerSettings(settings, { staleClaimMs: -1 })))
      expect(Exit.isFailure(exit)).toBe(true)
      const error = Exit.isFailure(exit) ? Cause.failureOption(exit.cause) : undefined
      expect(error?._tag === "Some" ? error.value : undefined).toBeInstanceOf(InvalidArgument)
      const ok = await Effect.runPromise(Effect.provide(Effect.map(Instance, (i) => i.settings.storage), Lamina.layerSettings(settings, { staleClaimMs: 1000 })))
      expect(ok).toBe(settings.storage)
    } finally {
      if (home === undefined) delete process.env.LAMINA_HOME
      else process.env.LAMINA_HOME = home
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
