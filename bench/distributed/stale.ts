/**
 * Another version of `square` (same step name and module, other source): a runner started
 * with `"stale": true` exports this one, to test that runners refuse calls for code they do
 * not have.
 */
import { writeFileSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect } from "effect"
import { Artifact } from "../../src/registry/Artifact.js"
import { step } from "../../src/flow/step.js"

/** `square`, edited: writes the square twice. */
export const square = step({ name: "square", key: "bench/distributed:square" }, (n: number, delayMs = 0) =>
  Effect.gen(function* () {
    if (delayMs > 0) yield* Effect.sleep(delayMs)
    const file = path.join(os.tmpdir(), `stale-square-${process.pid}-${n}.txt`)
    writeFileSync(file, `${n * n}\n${n * n}\n`)
    return yield* (yield* Artifact.fromPath(file, { key: `squares/${n}.txt` })).save()
  })
)
