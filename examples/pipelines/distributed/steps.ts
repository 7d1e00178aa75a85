/**
 * The steps of the distributed example: what `lamina worker --module …/steps.js` loads on each
 * runner and what the caller's flow calls. They live in their own module, which runs nothing
 * when imported.
 *
 * @module
 */
import { writeFileSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect } from "effect"
import { flow, step } from "../../../src/flow/index.js"
import { Artifact } from "../../../src/registry/Artifact.js"

/** A Monte-Carlo estimate of π from `samples` points of a seeded generator (CPU-bound), saved as JSON. */
export const estimate = step("estimate", (seed: number, samples: number) =>
  Effect.gen(function* () {
    let x = seed >>> 0
    const next = () => ((x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32)
    let inside = 0
    for (let i = 0; i < samples; i++) {
      const a = next()
      const b = next()
      if (a * a + b * b <= 1) inside++
    }
    const file = path.join(os.tmpdir(), `lamina-pi-${process.pid}-${seed}.json`)
    writeFileSync(file, JSON.stringify({ seed, samples, inside, pid: process.pid }) + "\n")
    return yield* (yield* Artifact.fromPath(file, { key: `pi/part-${seed}.json` })).save()
  })
)

/** Combine the parts into one estimate, saved as `pi/estimate.json`. */
export const combine = step("combine", (parts: ReadonlyArray<Artifact>) =>
  Effect.gen(function* () {
    let inside = 0
    let samples = 0
    for (const part of parts) {
      const p = JSON.parse(new TextDecoder().decode(yield* part.load())) as { readonly inside: number; readonly samples: number }
      inside += p.inside
      samples += p.samples
    }
    const file = path.join(os.tmpdir(), `lamina-pi-${process.pid}-estimate.json`)
    writeFileSync(file, JSON.stringify({ pi: (4 * inside) / samples, samples }) + "\n")
    return yield* (yield* Artifact.fromPath(file, { key: "pi/estimate.json" })).save()
  })
)

/** Fan out `parts` estimates (they spread over the runners), then combine them. */
export const piFlow = flow("estimate-pi", (parts: number, samples: number) =>
  Effect.gen(function* () {
    const estimates = yield* Effect.forEach(Array.from({ length: parts }, (_, i) => i + 1), (seed) => estimate(seed, samples), { concurrency: "unbounded" })
    return { estimate: yield* combine(estimates) }
  })
)
