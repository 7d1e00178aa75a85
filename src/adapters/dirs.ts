/**
 * The folders an ingest is asked to read: each must exist; paths become absolute.
 *
 * @module
 */
import { existsSync, statSync } from "node:fs"
import * as path from "node:path"
import { Effect } from "effect"
import { InvalidArgument } from "../errors.js"

/** Check that every folder exists; `InvalidArgument` naming the first that does not. */
export const checkDirs = (dirs: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    if (dirs.length === 0) return yield* new InvalidArgument({ message: "Pass at least one folder a workflow run left behind." })
    const out: Array<string> = []
    for (const dir of dirs) {
      if (typeof dir !== "string" || dir === "" || !existsSync(dir) || !statSync(dir).isDirectory())
        return yield* new InvalidArgument({ message: `'${String(dir)}' is not a folder: pass the folder a workflow run left behind (its project or results folder).` })
      out.push(path.resolve(dir))
    }
    return out
  })

