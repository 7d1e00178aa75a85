/**
 * Private temporary folders that hold an in-memory value (a table, an AnnData) written out for a
 * pending artifact until `save()` copies it into storage. `save()` removes its folder when it
 * ends; a pending artifact never saved would leave its folder in the temp folder, so those still
 * there when the process exits are removed then.
 *
 * @module
 */
import { mkdtempSync, promises as fs, rmSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect } from "effect"

const live = new Set<string>()
let hooked = false

const removeLive = (): void => {
  for (const dir of live)
    try {
      rmSync(dir, { recursive: true, force: true })
    } catch {
      // Exiting: nothing more can be done about it.
    }
  live.clear()
}

/** Note `dir` as holding a pending value again (a second `save()` writes it anew). */
export const keepScratchDir = (dir: string): void => {
  live.add(dir)
  if (!hooked) {
    hooked = true
    process.once("exit", removeLive)
  }
}

/** A new private temporary folder, removed at exit unless `removeScratchDir` removed it before. */
export const makeScratchDir = (): string => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "lamina-artifact-"))
  keepScratchDir(dir)
  return dir
}

/** Remove `dir` and what it holds now. */
export const removeScratchDir = (dir: string): Effect.Effect<void> =>
  Effect.promise(() => fs.rm(dir, { recursive: true, force: true }).then(() => void live.delete(dir)))
