/**
 * The project modules a Python script imports (src/tracker/pythonImports.ts), found from the
 * script's folder as Python finds them, without running it.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, expect, it } from "vitest"
import { pythonImportsOf } from "../../src/tracker/pythonImports.js"

const roots: Array<string> = []
afterAll(() => roots.forEach((root) => rmSync(root, { recursive: true, force: true })))

const project = (files: Readonly<Record<string, string>>): string => {
  const root = mkdtempSync(path.join(os.tmpdir(), "lamina-pyimports-"))
  roots.push(root)
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, name)), { recursive: true })
    writeFileSync(path.join(root, name), text)
  }
  return root
}

it("follows imports, from-imports of submodules, parenthesised lists, relative imports and cycles; leaves the rest", () => {
  const root = project({
    "run.py": "import os, sys\nimport lib.io as io\nfrom pkg import (\n    alpha,\n    beta as b,\n)\nimport numpy as np\n\ndef later():\n    import late\n",
    "lib/__init__.py": "",
    "lib/io.py": "from ..outside import x\nfrom . import fmt\n",
    "lib/fmt.py": "import lib.io\n",
    "pkg/__init__.py": "from .shared import *\n",
    "pkg/shared.py": "",
    "pkg/alpha.py": "from .deep.inner import y\n",
    "pkg/deep/inner.py": "from .. import beta\n",
    "pkg/beta.py": "",
    "late.py": "",
    "unused.py": "",
    "notes.txt": "import unused\n"
  })
  const found = pythonImportsOf(path.join(root, "run.py")).map((f) => path.relative(root, f))
  expect(new Set(found)).toEqual(new Set(["lib/__init__.py", "lib/io.py", "lib/fmt.py", "pkg/__init__.py", "pkg/shared.py", "pkg/alpha.py", "pkg/deep/inner.py", "pkg/beta.py", "late.py"]))
  expect(found.length).toBe(9)
  // A data file or another language's script: nothing to follow.
  expect(pythonImportsOf(path.join(root, "notes.txt"))).toEqual([])
})
