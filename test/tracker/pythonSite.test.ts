/**
 * Where an interpreter imports a project's code from beyond the script's folder
 * (src/tracker/pythonSite.ts): its editable installs, asked of the interpreter itself.
 */
import { execFileSync } from "node:child_process"
import { mkdirSync, realpathSync, writeFileSync } from "node:fs"
import * as path from "node:path"
import { expect, it } from "vitest"
import { pythonImportFolders, pythonLaunchOf, shebangPython } from "../../src/tracker/pythonSite.js"
import { PYTHON } from "../support/python.js"
import { fileTrees } from "../support/tree.js"

const project = fileTrees("lamina-pysite-")

it("lists the folders a .pth adds and those an editable finder maps packages into, not the standard library, site-packages or the PYTHONPATH's missing folders", () => {
  const root = realpathSync(project({ "src/mylib/__init__.py": "", "other/otherlib/__init__.py": "", "lib/helpers.py": "" }))
  const env: NodeJS.ProcessEnv = { ...process.env, PYTHONUSERBASE: path.join(root, "userbase"), PYTHONPATH: [path.join(root, "lib"), path.join(root, "missing")].join(path.delimiter) }
  delete env.PYTHONNOUSERSITE
  const site = execFileSync(PYTHON, ["-c", "import site; print(site.getusersitepackages())"], { env, encoding: "utf8" }).trim()
  mkdirSync(site, { recursive: true })
  writeFileSync(path.join(site, "_mylib.pth"), `${path.join(root, "src")}\n`)
  writeFileSync(path.join(site, "__editable___otherlib_0_1_finder.py"), `MAPPING: dict[str, str] = {"otherlib": ${JSON.stringify(path.join(root, "other", "otherlib"))}}\n`)
  // Only this test's folders are looked at: the machine's own Python may have editable installs of its own.
  const ours = (folders: ReadonlyArray<string>) => new Set(folders.filter((f) => f.startsWith(root + path.sep)))
  expect(ours(pythonImportFolders({ argv: [PYTHON], cwd: root }, env))).toEqual(new Set([path.join(root, "lib"), path.join(root, "src"), path.join(root, "other")]))
  // Without the user site-packages: nothing of the above but the PYTHONPATH.
  expect(ours(pythonImportFolders({ argv: [PYTHON], cwd: root }, { ...env, PYTHONNOUSERSITE: "1" }))).toEqual(new Set([path.join(root, "lib")]))
})

it("lists nothing for an interpreter that cannot be run", () => {
  expect(pythonImportFolders({ argv: [path.join(project({}), "no-python")], cwd: "." }, process.env)).toEqual([])
})

it("reads the interpreter a script's #! line names, directly or through env, and nothing for other scripts", () => {
  const root = project({
    "venv.py": "#!/opt/venv/bin/python3.11\nprint(1)\n",
    "env.py": "#!/usr/bin/env python3\n",
    "env-s.py": "#!/usr/bin/env -S PYTHONUNBUFFERED=1 python3 -u\n",
    "shell.py": "#!/bin/sh\necho python3\n",
    "plain.py": "import sys\n"
  })
  expect(shebangPython(path.join(root, "venv.py"))).toBe("/opt/venv/bin/python3.11")
  expect(shebangPython(path.join(root, "env.py"))).toBe("python3")
  expect(shebangPython(path.join(root, "env-s.py"))).toBe("python3")
  expect(shebangPython(path.join(root, "shell.py"))).toBeUndefined()
  expect(shebangPython(path.join(root, "plain.py"))).toBeUndefined()
  expect(shebangPython(path.join(root, "missing.py"))).toBeUndefined()
})

it("finds the Python a command starts: through its launcher, the interpreter it names, a script's #! line, else python3", () => {
  const root = project({ "venv.py": "#!/opt/venv/bin/python3\n", "plain.py": "" })
  const of = (command: string) => pythonLaunchOf(command.split(" "), root).argv
  expect(of("uv run python train.py")).toEqual(["uv", "run", "python"])
  expect(of("conda run -n scanpy python3 -u train.py")).toEqual(["conda", "run", "-n", "scanpy", "python3"])
  expect(of("/home/me/.local/bin/poetry run python -m pkg.train")).toEqual(["/home/me/.local/bin/poetry", "run", "python"])
  // A launcher's run ends at a shell operator: `uv run x && python …` runs the PATH's python.
  expect(of("uv run ruff check && python train.py")).toEqual(["python"])
  expect(of("npm run build ; .venv/bin/python train.py")).toEqual([path.join(root, ".venv", "bin", "python")])
  expect(of("python3.11 train.py")).toEqual(["python3.11"])
  expect(of("./venv.py x")).toEqual(["/opt/venv/bin/python3"])
  expect(of("./plain.py x")).toEqual(["python3"])
  expect(pythonLaunchOf(["python3"], "rel").cwd).toBe(path.resolve("rel"))
})
