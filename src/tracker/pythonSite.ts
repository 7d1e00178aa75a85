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
import * as path from "node:path"
import { firstLineUntraced, untraced } from "../storage/ownWork.js"
import { endsCommand, shebangProgram } from "./programs.js"

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

/** What the interpreter's module search depends on, besides the interpreter: the variables that move it (and that pick a launcher's environment). */
const SEARCH_VARIABLES = ["PATH", "PYTHONHOME", "PYTHONPATH", "PYTHONUSERBASE", "PYTHONNOUSERSITE", "PYTHONSAFEPATH", "VIRTUAL_ENV", "CONDA_PREFIX", "UV_PROJECT_ENVIRONMENT"] as const

const known = new Map<string, ReadonlyArray<string>>()

/**
 * How a command starts its Python: the words that run the interpreter (`["python3"]`,
 * `["/opt/venv/bin/python"]`, `["uv", "run", "python"]`) and the folder they run in (a
 * launcher finds its project's environment from there).
 */
export interface PythonLaunch {
  readonly argv: ReadonlyArray<string>
  readonly cwd: string
}

/**
 * The folders (absolute, real paths) the interpreter `launch` starts (a name looked up on the
 * `PATH` of `env`, a path, or a launcher's `run`) imports from beyond the script's folder and
 * standard and installed packages: its editable installs' source folders, and the `PYTHONPATH`
 * of `env`. Empty when it cannot be run.
 */
export const pythonImportFolders = (launch: PythonLaunch, env: NodeJS.ProcessEnv): ReadonlyArray<string> => {
  const launcher = launch.argv.length > 1
  const id = JSON.stringify([launch.argv, launcher ? launch.cwd : null, ...SEARCH_VARIABLES.map((name) => env[name] ?? null)])
  let folders = known.get(id)
  if (folders === undefined) {
    folders = probe(launch, launcher, env)
    known.set(id, folders)
  }
  return folders
}

const probe = (launch: PythonLaunch, launcher: boolean, env: NodeJS.ProcessEnv): ReadonlyArray<string> => {
  const [program, ...args] = launch.argv
  try {
    const out = untraced(() =>
      execFileSync(program!, [...args, "-c", PROBE], {
        env,
        encoding: "utf8",
        // A launcher may first create or sync its environment, as the step's own command would.
        timeout: launcher ? 60_000 : 10_000,
        stdio: ["ignore", "pipe", "ignore"],
        ...(launcher ? { cwd: launch.cwd } : {})
      })
    )
    // A launcher may print its own lines first: the probe's is the last.
    const parsed: unknown = JSON.parse(out.trim().split("\n").at(-1) ?? "")
    return Array.isArray(parsed) ? [...new Set(parsed.filter((p): p is string => typeof p === "string"))] : []
  } catch {
    return []
  }
}

/** A Python interpreter's name or path: `python`, `python3`, `python3.11`, `/opt/venv/bin/python`. */
const PYTHON_PROGRAM = /(?:^|[\\/])python[\d.]*$/

/** Tools whose `run` starts a command in a project's or a named environment. */
const LAUNCHERS = new Set(["uv", "poetry", "pdm", "hatch", "pipenv", "rye", "pixi", "conda", "mamba", "micromamba"])

/**
 * The Python a command's words start, run in `folder`: the interpreter they name, through the
 * launcher that runs it (`uv run python train.py`, `conda run -n env python …`), else the one a
 * script run as a program names in its `#!` line (`./train.py`, or `program`: the command's
 * program where it was found), else `python3`.
 */
export const pythonLaunchOf = (words: ReadonlyArray<string>, folder: string, program?: string): PythonLaunch => {
  const cwd = path.resolve(folder)
  const at = words.findIndex((w) => PYTHON_PROGRAM.test(w))
  if (at >= 0) {
    for (let j = at - 1; j >= 1 && !endsCommand(words[j]!); j--)
      if (words[j] === "run" && LAUNCHERS.has(path.basename(words[j - 1]!))) return { argv: words.slice(j - 1, at + 1), cwd }
    return { argv: [asProgram(words[at]!, cwd)], cwd }
  }
  const script = program ?? words.find((w) => w.endsWith(".py"))
  const named = script === undefined ? undefined : shebangPython(path.resolve(cwd, script))
  return { argv: [named === undefined ? "python3" : asProgram(named, cwd)], cwd }
}

/** A program word as a process starts it: a path resolved against `cwd`, a bare name as it is (looked up on the `PATH`). */
const asProgram = (word: string, cwd: string): string => (word.includes(path.sep) ? path.resolve(cwd, word) : word)

/**
 * The Python interpreter a script run as a program (`./train.py`) starts with: its `#!` line's
 * (`#!/opt/venv/bin/python3`, `#!/usr/bin/env python3.11`, `#!/usr/bin/env -S python3 -u`), or
 * undefined when the file has none naming Python or cannot be read. A virtual environment's
 * interpreter sees its own editable installs, which the `python3` on the `PATH` does not.
 */
export const shebangPython = (script: string): string | undefined => {
  const program = shebangProgram(firstLineUntraced(script))
  return program !== undefined && PYTHON_PROGRAM.test(program) ? program : undefined
}

/** Whether `file` is a Python script: a `.py` file, or one without an extension whose `#!` line names Python (`bin/filter_reads`). */
export const isPythonScript = (file: string): boolean => file.endsWith(".py") || (path.extname(file) === "" && shebangPython(file) !== undefined)
