/**
 * The folders a Python interpreter imports a project's own code from beyond the script's folder
 * and the `PYTHONPATH`: editable installs. `pip install -e .` (and uv, hatch, poetry, pdm) puts a
 * `.pth` file in the interpreter's site-packages that adds the project's source folder to
 * `sys.path`; setuptools' newer editable installs map each package to its folder in a finder
 * module (`__editable___pkg_0_1_finder.py`, its `MAPPING`). A script importing such a package
 * imports the project's source, which an edit changes: without these folders a step running the
 * script ran the old result back (tracker/pythonImports.ts follows the imports found in them).
 *
 * Asked of the interpreter itself, once per interpreter and environment in this process (its
 * `sys.path` after `site` ran, minus the standard library and site-packages folders, and the
 * finders' mappings): Python decides what a `.pth` adds, with its own rules. An interpreter that
 * cannot be run adds nothing (what it imports is then followed as before).
 *
 * @module
 */
import { execFileSync } from "node:child_process"
import { closeSync, openSync, readSync } from "node:fs"
import { untraced } from "../storage/ownWork.js"

/** Prints, as JSON, the folders `sys.path` holds besides the standard library and site-packages, and those the editable finders map packages into. */
const PROBE = `
import sys, os, json, site, sysconfig, glob, re, ast
real = os.path.realpath
def under(p, roots):
    return any(p == r or p.startswith(r.rstrip(os.sep) + os.sep) for r in roots)
sites = []
try:
    sites += site.getsitepackages()
except Exception:
    pass
try:
    if site.ENABLE_USER_SITE:
        sites.append(site.getusersitepackages())
except Exception:
    pass
sites = [real(s) for s in sites]
system = [real(p) for p in {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}] + [real(p) for p in sysconfig.get_paths().values()]
found = []
for p in sys.path:
    if p and os.path.isdir(p) and not under(real(p), sites + system):
        found.append(real(p))
for s in sites:
    for finder in glob.glob(os.path.join(s, "__editable__*finder.py")):
        try:
            m = re.search(r"^MAPPING\\s*(?::[^=\\n]*)?=\\s*(\\{.*?\\})\\s*$", open(finder).read(), re.S | re.M)
            for target in ast.literal_eval(m.group(1)).values():
                found.append(os.path.dirname(real(target)))
        except Exception:
            pass
print(json.dumps(found))
`

/** What the interpreter's module search depends on, besides the interpreter: the variables that move it. */
const SEARCH_VARIABLES = ["PATH", "PYTHONHOME", "PYTHONPATH", "PYTHONUSERBASE", "PYTHONNOUSERSITE", "PYTHONSAFEPATH", "VIRTUAL_ENV"] as const

const known = new Map<string, ReadonlyArray<string>>()

/**
 * The folders (absolute, real paths) the interpreter `python` (a name looked up on the `PATH` of
 * `env`, or a path) imports from beyond the script's folder and standard and installed packages:
 * its editable installs' source folders, and the `PYTHONPATH` of `env`. Empty when it cannot be run.
 */
export const pythonImportFolders = (python: string, env: NodeJS.ProcessEnv): ReadonlyArray<string> => {
  const id = JSON.stringify([python, ...SEARCH_VARIABLES.map((name) => env[name] ?? null)])
  let folders = known.get(id)
  if (folders === undefined) {
    folders = probe(python, env)
    known.set(id, folders)
  }
  return folders
}

const probe = (python: string, env: NodeJS.ProcessEnv): ReadonlyArray<string> => {
  try {
    const out = untraced(() => execFileSync(python, ["-c", PROBE], { env, encoding: "utf8", timeout: 10_000, stdio: ["ignore", "pipe", "ignore"] }))
    const parsed: unknown = JSON.parse(out)
    return Array.isArray(parsed) ? [...new Set(parsed.filter((p): p is string => typeof p === "string"))] : []
  } catch {
    return []
  }
}

/** A Python interpreter's name or path: `python`, `python3`, `python3.11`, `/opt/venv/bin/python`. */
export const PYTHON_PROGRAM = /(?:^|[\\/])python[\d.]*$/

/**
 * The Python interpreter a script run as a program (`./train.py`) starts with: its `#!` line's
 * (`#!/opt/venv/bin/python3`, `#!/usr/bin/env python3.11`, `#!/usr/bin/env -S python3 -u`), or
 * undefined when the file has none naming Python or cannot be read. A virtual environment's
 * interpreter sees its own editable installs, which the `python3` on the `PATH` does not.
 */
export const shebangPython = (script: string): string | undefined => {
  const first = untraced(() => {
    let fd: number | undefined
    try {
      fd = openSync(script, "r")
      const head = Buffer.alloc(256)
      return head.subarray(0, readSync(fd, head, 0, head.length, 0)).toString("utf8").split("\n", 1)[0]!
    } catch {
      return ""
    } finally {
      if (fd !== undefined) closeSync(fd)
    }
  })
  if (!first.startsWith("#!")) return undefined
  const words = first.slice(2).trim().split(/\s+/)
  // `env` runs the first word after its own options (`-S`, `-i`, `NAME=value` settings).
  const program = /(?:^|\/)env$/.test(words[0] ?? "") ? words.slice(1).find((w) => !w.startsWith("-") && !w.includes("=")) : words[0]
  return program !== undefined && PYTHON_PROGRAM.test(program) ? program : undefined
}
