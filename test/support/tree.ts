/**
 * Folders of small files for a test (a project's scripts, its modules), each removed when the
 * test file ends.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll } from "vitest"

/** A maker of folders named `prefix…` under the system's temporary folder: `(files: name → text) => folder`. Call it at a test file's top level. */
export const fileTrees = (prefix: string): ((files: Readonly<Record<string, string>>) => string) => {
  const roots: Array<string> = []
  afterAll(() => roots.forEach((root) => rmSync(root, { recursive: true, force: true })))
  return (files) => {
    const root = mkdtempSync(path.join(os.tmpdir(), prefix))
    roots.push(root)
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(root, name)), { recursive: true })
      writeFileSync(path.join(root, name), text)
    }
    return root
  }
}
