/**
 * The project modules a Python script, or code given with `python3 -c`, imports
 * (src/tracker/pythonImports.ts), found as Python finds them, without running it.
 */
import * as path from "node:path"
import { expect, it } from "vitest"
import { pythonCodeImports, pythonImportsOf } from "../../src/tracker/pythonImports.js"
import { fileTrees } from "../support/tree.js"

const project = fileTrees("lamina-pyimports-")

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

it("also finds modules in the folders of the PYTHONPATH the script ran with (a name in both is kept from both: at worst a file Python did not load)", () => {
  const root = project({
    "scripts/run.py": "import helpers\nimport shared\n",
    "scripts/shared.py": "",
    "lib/helpers.py": "import deeper\n",
    "lib/deeper.py": "",
    "lib/shared.py": ""
  })
  const found = (pythonPath: ReadonlyArray<string>) => pythonImportsOf(path.join(root, "scripts", "run.py"), pythonPath).map((f) => path.relative(root, f))
  expect(found([])).toEqual(["scripts/shared.py"])
  expect(new Set(found([path.join(root, "lib")]))).toEqual(new Set(["scripts/shared.py", "lib/shared.py", "lib/helpers.py", "lib/deeper.py"]))
})

it("follows the imports of code given on a command line (`python3 -c`), a one-liner's statements too, from the folders it is given; a relative import has no package there", () => {
  const root = project({
    "mylib/__init__.py": "from mylib.core import run\n",
    "mylib/core.py": "import helpers\n",
    "lib/helpers.py": "",
    "other.py": "",
    "unused.py": ""
  })
  const found = (code: string, roots: ReadonlyArray<string>) => pythonCodeImports(code, roots).map((f) => path.relative(root, f))
  expect(new Set(found("import sys; from mylib import run; run()", [root, path.join(root, "lib")]))).toEqual(new Set(["mylib/__init__.py", "mylib/core.py", "lib/helpers.py"]))
  expect(found("import sys\nimport other\nfrom . import unused\n", [root])).toEqual(["other.py"])
  expect(found("print(1)", [root])).toEqual([])
})
