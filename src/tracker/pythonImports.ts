/**
 * The project's own Python modules a script imports, for the key files of a run whose body ran
 * it (`execFileSync("python3", ["scripts/qc.py", "data/s1.csv"])`): the command line names the
 * script, so an edit of it is a miss, but an edit of `scripts/helpers.py`, which it imports, ran
 * the old result back. Python looks up `import helpers` first in the script's own folder, and so
 * does this (and above the package a module run with `-m` belongs to): the modules found there
 * (and the packages' `__init__.py` on the way), followed through their own imports, relative ones
 * included, and in the folders of the `PYTHONPATH` the script ran with and of its interpreter's
 * editable installs (tracker/pythonSite.ts). What Python finds elsewhere (the standard library,
 * installed packages) is not followed.
 *
 * Read by scanning the text, not by running Python: an import in a string or behind a condition
 * counts too, which at worst keys a file the script never loads.
 *
 * @module
 */
import * as path from "node:path"
import { isFileUntraced as isFile, textUntraced } from "../storage/ownWork.js"
import { isPythonScript } from "./pythonSite.js"

/** At most this many modules are followed from one script (a project's, not a vendored tree's). */
const MAX_MODULES = 500

// `import a.b as c, d` (at any indentation: imports inside functions too).
const IMPORT = /^[ \t]*import[ \t]+([\w. \t,]+)/gm
// `from ..a.b import c, d` and `from . import (c,\n d)`.
const FROM_IMPORT = /^[ \t]*from[ \t]+(\.*)([\w.]*)[ \t]+import[ \t]+(\([^)]*\)|[^\n#;]+)/gm

/** The names a `from … import` brings (`c as d` → `c`), as possible submodules. */
const importedNames = (list: string): ReadonlyArray<string> =>
  list
    .replace(/[()\\]/g, " ")
    .split(",")
    .map((n) => n.trim().split(/\s+/)[0] ?? "")
    .filter((n) => /^\w+$/.test(n))

/**
 * The files of module `dotted` under `root` that exist: its `.py` file or its package's
 * `__init__.py`, and the `__init__.py` of each package on the way (Python runs them too).
 */
const moduleFiles = (root: string, dotted: string): ReadonlyArray<string> => {
  const parts = dotted.split(".").filter((p) => p !== "")
  const files: Array<string> = []
  for (let k = 1; k < parts.length; k++) {
    const init = path.join(root, ...parts.slice(0, k), "__init__.py")
    if (isFile(init)) files.push(init)
  }
  if (parts.length === 0) {
    const init = path.join(root, "__init__.py")
    return isFile(init) ? [init] : []
  }
  for (const candidate of [path.join(root, ...parts) + ".py", path.join(root, ...parts, "__init__.py")])
    if (isFile(candidate)) return [...files, candidate]
  return files
}

/**
 * The local modules Python code imports directly (`text`; the file's when `file` is given, for its
 * relative imports), an absolute import found under each of `roots`.
 */
const importsIn = (text: string, file: string | undefined, roots: ReadonlyArray<string>): ReadonlyArray<string> => {
  const found: Array<string> = []
  for (const m of text.matchAll(IMPORT))
    for (const item of (m[1] ?? "").split(",")) {
      const dotted = item.trim().split(/\s+/)[0] ?? ""
      if (/^\w+(\.\w+)*$/.test(dotted)) for (const root of roots) found.push(...moduleFiles(root, dotted))
    }
  for (const m of text.matchAll(FROM_IMPORT)) {
    const level = (m[1] ?? "").length
    const dotted = m[2] ?? ""
    // `from .a import b` is relative to the importing module's package; `from a import b` to the roots.
    let bases = roots
    if (level > 0) {
      if (file === undefined) continue
      let base = path.dirname(file)
      for (let up = 1; up < level; up++) base = path.dirname(base)
      bases = [base]
    }
    for (const base of bases) {
      found.push(...moduleFiles(base, dotted))
      // `from pkg import sub` may name a submodule.
      for (const name of importedNames(m[3] ?? "")) found.push(...moduleFiles(base, dotted === "" ? name : `${dotted}.${name}`))
    }
  }
  return found
}

/**
 * Where Python looks first for the modules `script` imports: its folder (`python3 scripts/qc.py`)
 * and, for a module inside a package, the folder above the package (`python3 -m pkg.train`, run
 * there, imports `pkg.utils` from it).
 */
const rootsOf = (script: string): ReadonlyArray<string> => {
  const folder = path.dirname(script)
  let top = folder
  while (isFile(path.join(top, "__init__.py")) && path.dirname(top) !== top) top = path.dirname(top)
  return top === folder ? [folder] : [folder, top]
}

/**
 * The local modules the Python script `script` imports, directly or through each other, found
 * from its folder and the folders of `pythonPath` (its `PYTHONPATH`, absolute); none for a file
 * that is not a Python script (`.py`, or a `#!` line naming Python).
 */
export const pythonImportsOf = (script: string, pythonPath: ReadonlyArray<string> = []): ReadonlyArray<string> =>
  isPythonScript(script) ? followed([], [...new Set([...rootsOf(script), ...pythonPath])], script) : []

/**
 * The local modules Python code given on a command line imports (`python3 -c "from mylib import
 * run; run()"`), directly or through each other, found from `roots`: the folder the command runs
 * in (Python's first place for `-c` code) and those of its `PYTHONPATH`.
 */
export const pythonCodeImports = (code: string, roots: ReadonlyArray<string>): ReadonlyArray<string> =>
  // A one-liner's statements are separated by `;`: each may start an import.
  followed(importsIn(code.replace(/;/g, "\n"), undefined, roots), roots)

/**
 * The modules `start` names and those they import, directly or through each other, from `roots`;
 * with `script`, also those it imports (itself left out).
 */
const followed = (start: ReadonlyArray<string>, roots: ReadonlyArray<string>, script?: string): ReadonlyArray<string> => {
  const seen = new Set<string>(script === undefined ? [] : [script])
  const out: Array<string> = []
  const queue: Array<string> = script === undefined ? [] : [script]
  const add = (file: string): void => {
    if (seen.has(file)) return
    seen.add(file)
    out.push(file)
    queue.push(file)
  }
  start.forEach(add)
  for (let file = queue.shift(); file !== undefined && out.length < MAX_MODULES; file = queue.shift()) {
    const text = textUntraced(file)
    if (text !== undefined) importsIn(text, file, roots).forEach(add)
  }
  return out
}
