/**
 * The files a cacheable step's body reads and the folders it lists, seen as it runs
 * (src/flow/fileTrace.ts): checked again on a hit, whatever name the body built for them.
 */
import { execFileSync, execSync } from "node:child_process"
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { readFile } from "node:fs/promises"
import * as path from "node:path"
import { Effect } from "effect"
import { expect, it } from "vitest"
import { flow, step } from "../../src/flow/index.js"
import { type Artifact, type Lamina, Run } from "../../src/index.js"
import { describeBackends, type TestInstance } from "../support/backends.js"
import { makeProject, requireBuild, runMainOf } from "../support/consumer.js"
import { PYTHON } from "../support/python.js"
import { loadText, runsNamed, saveText } from "./support.js"

const sum = (text: string): number => text.split(",").reduce((s, x) => s + Number(x), 0)

/** A node script that prints the sum of the numbers in the file its last argument names (after `--input=`), times `factor`. */
const SCORE = (factor: number): string =>
  `import { readFileSync } from "node:fs"\nconst file = process.argv.at(-1).replace("--input=", "")\nprocess.stdout.write(String(${factor} * readFileSync(file, "utf8").split(",").reduce((s, x) => s + Number(x), 0)))\n`

/** A folder of sample files under the instance's scratch folder (names may hold subfolders); written again, a file is replaced. */
const samples = (i: TestInstance, files: Readonly<Record<string, string>>): string => {
  const dir = path.join(i.dir, "samples")
  mkdirSync(dir, { recursive: true })
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true })
    writeFileSync(path.join(dir, name), text)
  }
  return dir
}

/** The statuses of a step's runs, oldest first, and what `why` says of the last. */
const history = async (i: TestInstance, name: string) => {
  const runs = await i.run(runsNamed(name))
  return { statuses: runs.map((r) => r._status_code), why: (await i.run(Run.why(runs.at(-1)!.uid))).message }
}

/** The files the first run of a step keeps to check on a hit (its own and those of steps it called). */
const keyFiles = async (i: TestInstance, name: string): Promise<ReadonlyArray<string>> => {
  const parts = (await i.run(runsNamed(name)))[0]!._cache_parts as { readonly files?: ReadonlyArray<{ readonly path: string }>; readonly nested?: { readonly files: ReadonlyArray<{ readonly path: string }> } }
  return [...(parts.files ?? []), ...(parts.nested?.files ?? [])].map((f) => f.path)
}

/**
 * The finder module setuptools' editable wheels install (`__editable___NAME_VERSION_finder.py`):
 * its `MAPPING` names each package's folder, and `install()` puts a finder for them on
 * `sys.meta_path` (nothing goes on `sys.path`).
 */
const editableFinder = (mapping: Readonly<Record<string, string>>): string =>
  [
    "import sys",
    "import importlib.util",
    `MAPPING: dict[str, str] = ${JSON.stringify(mapping)}`,
    "class _EditableFinder:",
    "    @classmethod",
    "    def find_spec(cls, fullname, path=None, target=None):",
    "        if fullname not in MAPPING:",
    "            return None",
    "        folder = MAPPING[fullname]",
    "        return importlib.util.spec_from_file_location(fullname, folder + '/__init__.py', submodule_search_locations=[folder])",
    "def install():",
    "    sys.meta_path.append(_EditableFinder)",
    ""
  ].join("\n")

/**
 * A user site-packages under `userbase` (where `pip install --user -e` puts editable installs),
 * created, and an environment whose interpreter uses it.
 */
const userSite = (userbase: string): { readonly env: NodeJS.ProcessEnv; readonly site: string } => {
  const env: NodeJS.ProcessEnv = { ...process.env, PYTHONUSERBASE: userbase }
  delete env.PYTHONNOUSERSITE
  const site = execFileSync(PYTHON, ["-c", "import site; print(site.getusersitepackages())"], { env, encoding: "utf8" }).trim()
  mkdirSync(site, { recursive: true })
  return { env, site }
}

describeBackends("file trace", ({ instance }) => {
  it("a file read by a name the body builds (an Effect body, a Promise body after an await) is checked on a hit; why names it", async () => {
    const i = await instance()
    const dir = samples(i, { "a.txt": "1,2" })
    const total = step("built-total", (sample: string) => Effect.sync(() => sum(readFileSync(path.join(dir, `${sample}.txt`), "utf8"))))
    const awaited = step("awaited-total", async (sample: string) => {
      await new Promise((resolve) => setTimeout(resolve, 1))
      return sum(await readFile(path.join(dir, `${sample}.txt`), "utf8"))
    })
    const f = flow("built-flow", (sample: string) => Effect.all([total(sample), awaited(sample)]))
    expect(await i.run(f("a"))).toEqual([3, 3])
    expect(await i.run(f("a"))).toEqual([3, 3])
    writeFileSync(path.join(dir, "a.txt"), "1,2,3")
    expect(await i.run(f("a"))).toEqual([6, 6])
    for (const name of ["built-total", "awaited-total"]) {
      const { statuses, why } = await history(i, name)
      expect(statuses).toEqual([0, 3, 0])
      expect(why).toContain(`the file '${path.join(dir, "a.txt")}' its body read changed (3 bytes`)
    }
  })

  it("in a project's own process: a data file a step reads by a built name, edited between runs, is a miss", async () => {
    requireBuild()
    const i = await instance()
    const root = makeProject({
      "main.ts": `import { Effect } from "effect"
import { readFileSync } from "node:fs"
import * as path from "node:path"
import { flow, Lamina, step } from "lamina"
import { parse } from "./parse.js"
const [settings, sample] = process.argv.slice(2)
const DATA = "data"
const total = step("project-total", (s: string) => parse(readFileSync(path.join(DATA, s + ".csv"), "utf8")))
console.log(JSON.stringify(await Effect.runPromise(Effect.provide(flow("project-flow", (s: string) => total(s))(sample!), Lamina.layer(JSON.parse(settings!))))))
`,
      // A nested step of another module: its code fingerprint is first read inside the outer body.
      "parse.ts": `import { Effect } from "effect"
import { step } from "lamina"
export const parse = step("project-parse", (text: string) => Effect.sync(() => text.split(",").reduce((t, x) => t + Number(x), 0)))
`
    })
    mkdirSync(path.join(root, "data"))
    const data = (text: string) => writeFileSync(path.join(root, "data", "s1.csv"), text)
    // The instance's own settings (an S3 endpoint too) and, on S3, its download cache.
    const settings = JSON.stringify({ storage: i.storage, db: i.db, ...(i.s3 !== undefined ? { s3: i.s3 } : {}) })
    const total = () => runMainOf(root, [settings, "s1"], i.s3 !== undefined ? { LAMINA_CACHE_DIR: path.join(i.dir, "cache") } : {})
    data("1,2")
    expect(await total()).toBe(3)
    expect(await total()).toBe(3)
    data("1,2,3")
    expect(await total()).toBe(6)
    const { statuses, why } = await history(i, "project-total")
    expect(statuses).toEqual([0, 3, 0])
    expect(why).toContain(`the file '${path.join(root, "data", "s1.csv")}' its body read changed (3 bytes`)
    // Lamina's own reads of the project's modules in the body are not the body's.
    expect(await keyFiles(i, "project-total")).toEqual([path.join(root, "data", "s1.csv")])
  })

  it("in a project's own process: node:fs functions a library took before Lamina loaded (as glob and graceful-fs do) still show the body's reads", async () => {
    requireBuild()
    const i = await instance()
    const root = makeProject({
      // Imported before lamina, so it holds node:fs' functions from before Lamina wrapped them.
      "library.ts": `import fs from "node:fs"
export const taken = { readdirSync: fs.readdirSync, readdir: fs.readdir, readFile: fs.promises.readFile, readFileSync: fs.readFileSync, existsSync: fs.existsSync }
`,
      "main.ts": `import { taken } from "./library.js"
import { Effect } from "effect"
import { flow, Lamina, step } from "lamina"
const [settings] = process.argv.slice(2)
const names = step("taken-readdirSync", (dir: string) => Effect.sync(() => taken.readdirSync(dir).sort()))
const namesLater = step("taken-readdir", (dir: string) => Effect.async<Array<string>>((resume) => taken.readdir(dir, (_e, found) => resume(Effect.succeed(found.sort())))))
const text = step("taken-readFile", (dir: string) => Effect.promise(() => taken.readFile(dir + "/s1.csv", "utf8")))
const textNow = step("taken-readFileSync", (dir: string) => Effect.sync(() => taken.readFileSync(dir + "/s1.csv", "utf8")))
const optional = step("taken-existsSync", (dir: string) => Effect.sync(() => taken.existsSync(dir + "/extra.csv")))
const all = flow("taken-flow", (dir: string) => Effect.all([names(dir), namesLater(dir), text(dir), textNow(dir), optional(dir)]))
console.log(JSON.stringify(await Effect.runPromise(Effect.provide(all("data"), Lamina.layer(JSON.parse(settings!))))))
`
    })
    mkdirSync(path.join(root, "data"))
    writeFileSync(path.join(root, "data", "s1.csv"), "1,2")
    const settings = JSON.stringify({ storage: i.storage, db: i.db, ...(i.s3 !== undefined ? { s3: i.s3 } : {}) })
    const run = () => runMainOf(root, [settings], i.s3 !== undefined ? { LAMINA_CACHE_DIR: path.join(i.dir, "cache") } : {})
    expect(await run()).toEqual([["s1.csv"], ["s1.csv"], "1,2", "1,2", false])
    expect(await run()).toEqual([["s1.csv"], ["s1.csv"], "1,2", "1,2", false])
    writeFileSync(path.join(root, "data", "s1.csv"), "1,2,3")
    writeFileSync(path.join(root, "data", "extra.csv"), "4")
    expect(await run()).toEqual([["extra.csv", "s1.csv"], ["extra.csv", "s1.csv"], "1,2,3", "1,2,3", true])
    for (const name of ["taken-readdirSync", "taken-readdir", "taken-readFile", "taken-readFileSync", "taken-existsSync"]) expect([name, (await history(i, name)).statuses]).toEqual([name, [0, 3, 0]])
    expect(await keyFiles(i, "taken-readFile")).toEqual([path.join(root, "data", "s1.csv")])
  })

  it("a file named relative to the working directory (by a param, a literal, a built name) is another file in another directory: a miss, and why says so", async () => {
    const i = await instance()
    const dirs = ["wd-a", "wd-b"].map((d) => path.join(i.dir, d))
    dirs.forEach((d, k) => {
      mkdirSync(d, { recursive: true })
      writeFileSync(path.join(d, "data.csv"), k === 0 ? "1,2" : "10,20")
    })
    const base = "data"
    const byParam = step("wd-param", (file: string) => Effect.sync(() => sum(readFileSync(file, "utf8"))))
    const byLiteral = step("wd-literal", () => Effect.sync(() => sum(readFileSync("data.csv", "utf8"))))
    const byBuilt = step("wd-built", () => Effect.sync(() => sum(readFileSync(`${base}.csv`, "utf8"))))
    const f = flow("wd-flow", () => Effect.all([byParam("data.csv"), byLiteral(), byBuilt()]))
    const home = process.cwd()
    const inDir = async (dir: string) => {
      process.chdir(dir)
      try {
        return await i.run(f())
      } finally {
        process.chdir(home)
      }
    }
    expect(await inDir(dirs[0]!)).toEqual([3, 3, 3])
    expect(await inDir(dirs[0]!)).toEqual([3, 3, 3])
    expect(await inDir(dirs[1]!)).toEqual([30, 30, 30])
    for (const name of ["wd-param", "wd-literal", "wd-built"]) {
      const { statuses, why } = await history(i, name)
      expect(statuses).toEqual([0, 3, 0])
      expect(why).toContain(`was named relative to the working directory, '${dirs[0]}' when its run ended and '${dirs[1]}' now`)
    }
  })

  it("an optional file the body looked for and did not find (existsSync, lstatSync, a read it caught) is checked on a hit: its appearing is a miss", async () => {
    const i = await instance()
    const dir = samples(i, { "base.txt": "2" })
    const looked = step("looked-up", () =>
      Effect.sync(() => {
        const override = path.join(dir, "override.txt")
        return Number(readFileSync(existsSync(override) ? override : path.join(dir, "base.txt"), "utf8"))
      })
    )
    const caught = step("caught-read", () =>
      Effect.sync(() => {
        try {
          return Number(readFileSync(path.join(dir, "extra.txt"), "utf8"))
        } catch {
          return 0
        }
      })
    )
    const linked = step("lstat-looked-up", () => Effect.sync(() => (lstatSync(path.join(dir, "link.txt"), { throwIfNoEntry: false }) === undefined ? 0 : 1)))
    const f = flow("optional-flow", () => Effect.all([looked(), caught(), linked()]))
    expect(await i.run(f())).toEqual([2, 0, 0])
    expect(await i.run(f())).toEqual([2, 0, 0])
    writeFileSync(path.join(dir, "override.txt"), "7")
    writeFileSync(path.join(dir, "extra.txt"), "9")
    writeFileSync(path.join(dir, "link.txt"), "")
    expect(await i.run(f())).toEqual([7, 9, 1])
    const lookedUp = await history(i, "looked-up")
    expect(lookedUp.statuses).toEqual([0, 3, 0])
    expect(lookedUp.why).toContain(`the file '${path.join(dir, "override.txt")}' its body looked up appeared (there was nothing there when its run ended)`)
    const read = await history(i, "caught-read")
    expect(read.statuses).toEqual([0, 3, 0])
    expect(read.why).toContain(`the file '${path.join(dir, "extra.txt")}' its body read appeared`)
    expect((await history(i, "lstat-looked-up")).statuses).toEqual([0, 3, 0])
  })

  it("an environment variable the body reads by a computed name is checked on a hit: set where it was unset, or changed, is a miss; why names it", async () => {
    const i = await instance()
    const name = `SCALE_${process.pid}_${i.dir.length}_${Date.now()}`
    // A config helper: the name is computed, so no source tells which variable it reads.
    const setting = (key: string, fallback: string): string => process.env[key] ?? fallback
    const scale = step("env-scale", (x: number) => Effect.sync(() => x * Number(setting(name, "1"))))
    const f = flow("env-flow", (x: number) => scale(x))
    try {
      expect(await i.run(f(5))).toBe(5)
      expect(await i.run(f(5))).toBe(5)
      process.env[name] = "2"
      expect(await i.run(f(5))).toBe(10)
      expect(await i.run(f(5))).toBe(10)
      process.env[name] = "3"
      expect(await i.run(f(5))).toBe(15)
    } finally {
      delete process.env[name]
    }
    const runs = await i.run(runsNamed("env-scale"))
    expect(runs.map((r) => r._status_code)).toEqual([0, 3, 0, 3, 0])
    expect((await i.run(Run.why(runs[2]!.uid))).message).toContain(`the environment variable '${name}' its body read is set now (it was unset when its run ended)`)
    expect((await i.run(Run.why(runs[4]!.uid))).message).toContain(`the environment variable '${name}' its body read changed`)
    // Kept by name and the hash of its value (a value may be a secret).
    expect(await keyFiles(i, "env-scale")).toEqual([name])
  })

  it("a process the body starts inherits the environment: a variable changed for it is a miss; what a shell or npm sets per session (OLDPWD after a cd, SHLVL, npm_*) is not", async () => {
    const i = await instance()
    const name = `THREADS_${process.pid}_${i.dir.length}_${Date.now()}`
    const session = ["OLDPWD", "SHLVL", "npm_lifecycle_event"] as const
    const before = session.map((k) => process.env[k])
    // The child reads the variable; the body names no variable at all.
    const threads = step("env-inherited", () => Effect.sync(() => execFileSync(process.execPath, ["-e", `process.stdout.write(process.env.${name} ?? "none")`], { encoding: "utf8" })))
    const f = flow("env-inherited-flow", () => threads())
    try {
      process.env[name] = "2"
      expect(await i.run(f())).toBe("2")
      for (const k of session) process.env[k] = `${k}-after-a-cd`
      expect(await i.run(f())).toBe("2")
      process.env[name] = "4"
      expect(await i.run(f())).toBe("4")
    } finally {
      delete process.env[name]
      session.forEach((k, at) => (before[at] === undefined ? delete process.env[k] : (process.env[k] = before[at])))
    }
    const runs = await i.run(runsNamed("env-inherited"))
    expect(runs.map((r) => r._status_code)).toEqual([0, 3, 0])
    expect((await i.run(Run.why(runs[2]!.uid))).message).toContain(`the environment variable '${name}' its body read changed`)
    expect(await keyFiles(i, "env-inherited")).toContain(name)
    for (const k of session) expect(await keyFiles(i, "env-inherited")).not.toContain(k)
  })

  it("a folder the body lists is checked on a hit: a file added is a miss", async () => {
    const i = await instance()
    const dir = samples(i, { "a.txt": "1", "b.txt": "2" })
    const count = step("listed-count", () => Effect.sync(() => readdirSync(dir).filter((f) => f.endsWith(".txt")).length))
    const f = flow("listed-flow", () => count())
    expect(await i.run(f())).toBe(2)
    expect(await i.run(f())).toBe(2)
    writeFileSync(path.join(dir, "c.txt"), "3")
    expect(await i.run(f())).toBe(3)
    const { statuses, why } = await history(i, "listed-count")
    expect(statuses).toEqual([0, 3, 0])
    expect(why).toContain(`the folder '${dir}' its body listed changed (an entry was added, removed or renamed)`)
  })

  it("a folder the body lists with its subfolders (readdir recursive) is checked on a hit: a file added in a subfolder is a miss", async () => {
    const i = await instance()
    const dir = samples(i, { "a.txt": "1" })
    mkdirSync(path.join(dir, "sub"))
    writeFileSync(path.join(dir, "sub", "b.txt"), "2")
    const count = step("tree-count", () => Effect.sync(() => readdirSync(dir, { recursive: true }).filter((f) => String(f).endsWith(".txt")).length))
    const f = flow("tree-flow", () => count())
    expect(await i.run(f())).toBe(2)
    expect(await i.run(f())).toBe(2)
    writeFileSync(path.join(dir, "sub", "c.txt"), "3")
    expect(await i.run(f())).toBe(3)
    const { statuses, why } = await history(i, "tree-count")
    expect(statuses).toEqual([0, 3, 0])
    expect(why).toContain(`the folder '${dir}' its body listed with its subfolders changed (an entry was added, removed or renamed)`)
  })

  it("a script a step runs and the data its command line names are checked on a hit (execFile, a shell's exec); why names the script", async () => {
    const i = await instance()
    const dir = samples(i, { "in.txt": "1,2", "score.mjs": SCORE(2) })
    const run = step("ran-script", (script: string) => Effect.sync(() => Number(execFileSync(process.execPath, [path.join(dir, script), "in.txt"], { cwd: dir, encoding: "utf8" }))))
    const shell = step("ran-shell", () => Effect.sync(() => Number(execSync(`"${process.execPath}" score.mjs --input=in.txt`, { cwd: dir, encoding: "utf8" }))))
    const f = flow("ran-flow", () => Effect.all([run("score.mjs"), shell()]))
    expect(await i.run(f())).toEqual([6, 6])
    expect(await i.run(f())).toEqual([6, 6])
    writeFileSync(path.join(dir, "score.mjs"), SCORE(5))
    expect(await i.run(f())).toEqual([15, 15])
    writeFileSync(path.join(dir, "in.txt"), "1,2,3")
    expect(await i.run(f())).toEqual([30, 30])
    for (const name of ["ran-script", "ran-shell"]) expect((await history(i, name)).statuses).toEqual([0, 3, 0, 0])
    const runs = await i.run(runsNamed("ran-script"))
    expect((await i.run(Run.why(runs[2]!.uid))).message).toContain(`the file '${path.join(dir, "score.mjs")}' named by a command its body ran changed`)
    expect((await i.run(Run.why(runs[3]!.uid))).message).toContain(`the file '${path.join(dir, "in.txt")}' named by a command its body ran changed`)
  })

  it("a Python script's own modules (an import, a package's, a relative one; a module run with -m) are checked on a hit: an edited helper is a miss, an unrelated module is not", async () => {
    const i = await instance()
    const dir = samples(i, {
      "in.txt": "1,2",
      "scripts/score.py": "import sys\nimport util\nfrom helpers.scale import factor\nprint(util.total(open(sys.argv[1]).read()) * factor())\n",
      "scripts/util.py": "def total(text):\n    return sum(int(x) for x in text.split(','))\n",
      "scripts/helpers/__init__.py": "",
      "scripts/helpers/scale.py": "from .base import BASE\n\ndef factor():\n    return BASE\n",
      "scripts/helpers/base.py": "BASE = 2\n",
      "scripts/unrelated.py": "X = 1\n"
    })
    // Run as a module of a package (`python3 -m tools.count`), which imports from the package's parent folder.
    samples(i, {
      "scripts/tools/__init__.py": "",
      "scripts/tools/count.py": "import sys\nfrom tools.shared import ONE\nprint(len(open(sys.argv[1]).read().split(',')) * ONE)\n",
      "scripts/tools/shared.py": "ONE = 1\n"
    })
    const score = step("python-score", (input: string) => Effect.sync(() => Number(execFileSync(PYTHON, [path.join(dir, "scripts", "score.py"), input], { encoding: "utf8" }))))
    const count = step("python-module", (input: string) => Effect.sync(() => Number(execFileSync(PYTHON, ["-m", "tools.count", input], { cwd: path.join(dir, "scripts"), encoding: "utf8" }))))
    const f = flow("python-flow", () => Effect.all([score(path.join(dir, "in.txt")), count(path.join(dir, "in.txt"))]))
    expect(await i.run(f())).toEqual([6, 2])
    samples(i, { "scripts/unrelated.py": "X = 2\n" })
    expect(await i.run(f())).toEqual([6, 2])
    samples(i, { "scripts/helpers/base.py": "BASE = 5\n" })
    expect(await i.run(f())).toEqual([15, 2])
    samples(i, { "scripts/util.py": "def total(text):\n    return 1 + sum(int(x) for x in text.split(','))\n" })
    expect(await i.run(f())).toEqual([20, 2])
    samples(i, { "scripts/tools/shared.py": "ONE = 10\n" })
    expect(await i.run(f())).toEqual([20, 20])
    expect((await history(i, "python-score")).statuses).toEqual([0, 3, 0, 0, 3])
    expect((await history(i, "python-module")).statuses).toEqual([0, 3, 3, 3, 0])
    expect((await history(i, "python-module")).why).toContain(`the file '${path.join(dir, "scripts", "tools", "shared.py")}' imported by a script its body ran changed`)
    const runs = await i.run(runsNamed("python-score"))
    expect((await i.run(Run.why(runs[2]!.uid))).message).toContain(`the file '${path.join(dir, "scripts", "helpers", "base.py")}' imported by a script its body ran changed`)
    expect((await i.run(Run.why(runs[3]!.uid))).message).toContain(`the file '${path.join(dir, "scripts", "util.py")}' imported by a script its body ran changed`)
    // The files under the samples folder (the interpreter and the environment it inherits are kept too).
    expect(new Set((await keyFiles(i, "python-score")).filter((f) => f.startsWith(dir)))).toEqual(
      new Set(["in.txt", "score.py", "util.py", "helpers/__init__.py", "helpers/scale.py", "helpers/base.py"].map((f) => path.join(dir, f === "in.txt" ? f : path.join("scripts", f))))
    )
  })

  it("a Python module found through PYTHONPATH (`python3 -m pkg.train` with PYTHONPATH=src) and the modules it imports from there are checked on a hit", async () => {
    const i = await instance()
    const dir = samples(i, {
      "in.txt": "1,2",
      "src/pkg/__init__.py": "",
      "src/pkg/train.py": "import sys\nimport helpers\nfrom pkg.scale import FACTOR\nprint(len(open(sys.argv[1]).read().split(',')) * FACTOR * helpers.ONE)\n",
      "src/pkg/scale.py": "FACTOR = 2\n",
      "lib/helpers.py": "ONE = 1\n",
      "lib/unrelated.py": "X = 1\n"
    })
    // One entry relative to the working directory, one absolute.
    const env = { ...process.env, PYTHONPATH: ["src", path.join(dir, "lib")].join(path.delimiter) }
    const train = step("pythonpath-train", (input: string) => Effect.sync(() => Number(execFileSync(PYTHON, ["-m", "pkg.train", input], { cwd: dir, env, encoding: "utf8" }))))
    const f = flow("pythonpath-flow", () => train(path.join(dir, "in.txt")))
    expect(await i.run(f())).toBe(4)
    samples(i, { "lib/unrelated.py": "X = 2\n" })
    expect(await i.run(f())).toBe(4)
    samples(i, { "src/pkg/scale.py": "FACTOR = 3\n" })
    expect(await i.run(f())).toBe(6)
    samples(i, { "lib/helpers.py": "ONE = 10\n" })
    expect(await i.run(f())).toBe(60)
    samples(i, { "src/pkg/train.py": "import sys\nimport helpers\nfrom pkg.scale import FACTOR\nprint(len(open(sys.argv[1]).read().split(',')) * FACTOR * helpers.ONE + 1)\n" })
    expect(await i.run(f())).toBe(61)
    const runs = await i.run(runsNamed("pythonpath-train"))
    expect(runs.map((r) => r._status_code)).toEqual([0, 3, 0, 0, 0])
    const why = (k: number) => i.run(Run.why(runs[k]!.uid)).then((w) => w.message)
    expect(await why(2)).toContain(`the file '${path.join(dir, "src", "pkg", "scale.py")}' imported by a script its body ran changed`)
    expect(await why(3)).toContain(`the file '${path.join(dir, "lib", "helpers.py")}' imported by a script its body ran changed`)
    expect(await why(4)).toContain(`the file '${path.join(dir, "src", "pkg", "train.py")}' named by a command its body ran changed`)
  })

  it("a module of an editable install (`pip install -e`: a .pth naming the source folder, or setuptools' finder mapping) is followed like the project's own: an edit is a miss; why names it", async () => {
    const i = await instance()
    const dir = samples(i, {
      "in.txt": "1,2",
      "scripts/run.py": "import sys\nfrom mylib.scale import FACTOR\nimport otherlib\nprint(len(open(sys.argv[1]).read().split(',')) * FACTOR * otherlib.ONE)\n",
      "mylib/src/mylib/__init__.py": "",
      "mylib/src/mylib/scale.py": "FACTOR = 2\n",
      "mylib/src/mylib/unrelated.py": "X = 1\n",
      "otherlib/otherlib/__init__.py": "from otherlib.one import ONE\n",
      "otherlib/otherlib/one.py": "ONE = 1\n"
    })
    // The interpreter's user site-packages, where the installs below go.
    const { env, site } = userSite(path.join(dir, "userbase"))
    // hatchling, uv, poetry and setuptools' compat mode: a .pth file naming the source folder.
    writeFileSync(path.join(site, "_mylib.pth"), `${path.join(dir, "mylib", "src")}\n`)
    // setuptools' editable wheels: a finder module that maps the package to its folder, installed by a .pth.
    writeFileSync(path.join(site, "__editable___otherlib_0_1_finder.py"), editableFinder({ otherlib: path.join(dir, "otherlib", "otherlib") }))
    writeFileSync(path.join(site, "__editable__.otherlib-0.1.pth"), "import __editable___otherlib_0_1_finder; __editable___otherlib_0_1_finder.install()\n")
    const run = step("editable-run", (input: string) => Effect.sync(() => Number(execFileSync(PYTHON, [path.join(dir, "scripts", "run.py"), input], { env, encoding: "utf8" }))))
    const f = flow("editable-flow", () => run(path.join(dir, "in.txt")))
    expect(await i.run(f())).toBe(4)
    samples(i, { "mylib/src/mylib/unrelated.py": "X = 2\n" })
    expect(await i.run(f())).toBe(4)
    samples(i, { "mylib/src/mylib/scale.py": "FACTOR = 3\n" })
    expect(await i.run(f())).toBe(6)
    samples(i, { "otherlib/otherlib/one.py": "ONE = 10\n" })
    expect(await i.run(f())).toBe(60)
    expect(await i.run(f())).toBe(60)
    const { statuses } = await history(i, "editable-run")
    expect(statuses).toEqual([0, 3, 0, 0, 3])
    const runs = await i.run(runsNamed("editable-run"))
    const why = (k: number) => i.run(Run.why(runs[k]!.uid)).then((w) => w.message)
    expect(await why(2)).toContain(`the file '${path.join(dir, "mylib", "src", "mylib", "scale.py")}' imported by a script its body ran changed`)
    expect(await why(3)).toContain(`the file '${path.join(dir, "otherlib", "otherlib", "one.py")}' imported by a script its body ran changed`)
  })

  /**
   * A project whose package `mylib` is installed editable into an environment that the `python3`
   * on the PATH does not use: the environment's interpreter is a wrapper that starts Python with
   * the site-packages holding the install.
   */
  const otherEnvironment = (i: TestInstance) => {
    const dir = samples(i, { "in.txt": "1,2", "mylib/src/mylib/__init__.py": "", "mylib/src/mylib/scale.py": "FACTOR = 2\n" })
    const userbase = path.join(dir, "venv", "userbase")
    writeFileSync(path.join(userSite(userbase).site, "_mylib.pth"), `${path.join(dir, "mylib", "src")}\n`)
    const interpreter = path.join(dir, "venv", "bin", "python3")
    samples(i, { "venv/bin/python3": `#!/bin/sh\nunset PYTHONNOUSERSITE\nPYTHONUSERBASE='${userbase}' exec '${PYTHON}' "$@"\n` })
    chmodSync(interpreter, 0o755)
    const script = (firstLine: string) => `${firstLine}\nimport sys\nfrom mylib.scale import FACTOR\nprint(len(open(sys.argv[1]).read().split(',')) * FACTOR)\n`
    /** Runs `f` three times: before and after an edit of the install's module; the statuses and what `why` says of the last. */
    const check = async (name: string, f: () => Effect.Effect<number, unknown, Lamina.Lamina>) => {
      expect(await i.run(f())).toBe(4)
      expect(await i.run(f())).toBe(4)
      samples(i, { "mylib/src/mylib/scale.py": "FACTOR = 3\n" })
      expect(await i.run(f())).toBe(6)
      const { statuses, why } = await history(i, name)
      expect(statuses).toEqual([0, 3, 0])
      expect(why).toContain(`the file '${path.join(dir, "mylib", "src", "mylib", "scale.py")}' imported by a script its body ran changed`)
    }
    return { dir, interpreter, script, check }
  }

  it("a Python script run as a program (`./run.py`) is followed with the interpreter its #! line names: an edit in that interpreter's editable install is a miss", async () => {
    const i = await instance()
    const { dir, interpreter, script, check } = otherEnvironment(i)
    samples(i, { "scripts/run.py": script(`#!${interpreter}`) })
    chmodSync(path.join(dir, "scripts", "run.py"), 0o755)
    const run = step("shebang-run", (input: string) => Effect.sync(() => Number(execFileSync(path.join(dir, "scripts", "run.py"), [input], { encoding: "utf8" }))))
    await check("shebang-run", flow("shebang-flow", () => run(path.join(dir, "in.txt"))))
  })

  it("a Python script run through a launcher (`uv run python …`) is followed with the interpreter the launcher starts in the command's folder", async () => {
    const i = await instance()
    const { dir, script, check } = otherEnvironment(i)
    // uv is not installed here: a stand-in that, like `uv run`, starts the command with the project's environment (found from the working directory).
    samples(i, { "scripts/run.py": script(""), "bin/uv": `#!/bin/sh\n[ "$1" = run ] && [ "$2" = python ] || exit 2\nshift 2\nexec "$PWD/venv/bin/python3" "$@"\n` })
    chmodSync(path.join(dir, "bin", "uv"), 0o755)
    const env = { ...process.env, PATH: [path.join(dir, "bin"), process.env.PATH].join(path.delimiter) }
    const run = step("launcher-run", (input: string) => Effect.sync(() => Number(execFileSync("uv", ["run", "python", "scripts/run.py", input], { cwd: dir, env, encoding: "utf8" }))))
    await check("launcher-run", flow("launcher-flow", () => run(path.join(dir, "in.txt"))))
  })

  it("the project modules Python code given on a command line imports (`python3 -c \"from pkg import …\"`) are checked on a hit, from an argument list or a shell line", async () => {
    const i = await instance()
    const dir = samples(i, {
      "in.txt": "1,2",
      "pkg/__init__.py": "from pkg.scale import FACTOR\n",
      "pkg/scale.py": "FACTOR = 2\n",
      "pkg/unrelated.py": "X = 1\n"
    })
    const code = "import sys; from pkg import FACTOR; print(len(open(sys.argv[1]).read().split(',')) * FACTOR)"
    const args = step("code-args", (input: string) => Effect.sync(() => Number(execFileSync(PYTHON, ["-c", code, input], { cwd: dir, encoding: "utf8" }))))
    const shell = step("code-shell", (input: string) => Effect.sync(() => Number(execSync(`${PYTHON} -c "${code}" ${input}`, { cwd: dir, encoding: "utf8" }))))
    const f = flow("code-flow", () => Effect.all([args(path.join(dir, "in.txt")), shell(path.join(dir, "in.txt"))]))
    expect(await i.run(f())).toEqual([4, 4])
    samples(i, { "pkg/unrelated.py": "X = 2\n" })
    expect(await i.run(f())).toEqual([4, 4])
    samples(i, { "pkg/scale.py": "FACTOR = 3\n" })
    expect(await i.run(f())).toEqual([6, 6])
    for (const name of ["code-args", "code-shell"]) {
      const { statuses, why } = await history(i, name)
      expect(statuses).toEqual([0, 3, 0])
      expect(why).toContain(`the file '${path.join(dir, "pkg", "scale.py")}' imported by a script its body ran changed`)
    }
  })

  it("a project's script run by name from a folder on the PATH (`filter_reads`, Python by its #! line) is checked on a hit with the modules it imports; an unrelated file is not", async () => {
    const i = await instance()
    const dir = samples(i, {
      "in.txt": "1,2",
      "bin/filter_reads": "#!/usr/bin/env python3\nimport sys\nfrom helpers import FACTOR\nprint(len(open(sys.argv[1]).read().split(',')) * FACTOR)\n",
      "bin/helpers.py": "FACTOR = 2\n",
      "bin/unrelated.py": "X = 1\n"
    })
    chmodSync(path.join(dir, "bin", "filter_reads"), 0o755)
    const env = { ...process.env, PATH: [path.join(dir, "bin"), process.env.PATH].join(path.delimiter) }
    const args = step("path-args", (input: string) => Effect.sync(() => Number(execFileSync("filter_reads", [input], { env, encoding: "utf8" }))))
    const shell = step("path-shell", (input: string) => Effect.sync(() => Number(execSync(`LC_ALL=C filter_reads ${input} | cat`, { env, encoding: "utf8" }))))
    // `shell: true`: the command and its arguments are one shell line.
    const shellOption = step("path-shell-option", (input: string) => Effect.sync(() => Number(execFileSync("true && filter_reads", [input], { env, encoding: "utf8", shell: true }))))
    const f = flow("path-flow", () => Effect.all([args(path.join(dir, "in.txt")), shell(path.join(dir, "in.txt")), shellOption(path.join(dir, "in.txt"))]))
    expect(await i.run(f())).toEqual([4, 4, 4])
    samples(i, { "bin/unrelated.py": "X = 2\n" })
    expect(await i.run(f())).toEqual([4, 4, 4])
    samples(i, { "bin/helpers.py": "FACTOR = 3\n" })
    expect(await i.run(f())).toEqual([6, 6, 6])
    samples(i, { "bin/filter_reads": "#!/usr/bin/env python3\nimport sys\nfrom helpers import FACTOR\nprint(len(open(sys.argv[1]).read().split(',')) * FACTOR + 1)\n" })
    expect(await i.run(f())).toEqual([7, 7, 7])
    for (const name of ["path-args", "path-shell", "path-shell-option"]) {
      const runs = await i.run(runsNamed(name))
      expect(runs.map((r) => r._status_code)).toEqual([0, 3, 0, 0])
      const why = (k: number) => i.run(Run.why(runs[k]!.uid)).then((w) => w.message)
      expect(await why(2)).toContain(`the file '${path.join(dir, "bin", "helpers.py")}' imported by a script its body ran changed`)
      expect(await why(3)).toContain(`the file '${path.join(dir, "bin", "filter_reads")}' named by a command its body ran changed`)
    }
  })

  it("a Node script without an extension, run by name from a folder on the PATH (`#!/usr/bin/env node`), is checked on a hit with the modules it imports", async () => {
    const i = await instance()
    const dir = samples(i, {
      "in.txt": "1,2",
      "bin/count": `#!/usr/bin/env node\nimport { readFileSync } from "node:fs"\nimport { FACTOR } from "./lib/factor.mjs"\nprocess.stdout.write(String(FACTOR * readFileSync(process.argv[2], "utf8").split(",").length))\n`,
      "bin/package.json": `{ "type": "module" }\n`,
      "bin/lib/factor.mjs": "export const FACTOR = 2\n",
      "bin/lib/unused.mjs": "export const X = 1\n"
    })
    chmodSync(path.join(dir, "bin", "count"), 0o755)
    const env = { ...process.env, PATH: [path.join(dir, "bin"), path.dirname(process.execPath), process.env.PATH].join(path.delimiter) }
    const count = step("bin-count", (input: string) => Effect.sync(() => Number(execFileSync("count", [input], { env, encoding: "utf8" }))))
    const f = flow("bin-count-flow", () => count(path.join(dir, "in.txt")))
    expect(await i.run(f())).toBe(4)
    samples(i, { "bin/lib/unused.mjs": "export const X = 2\n" })
    expect(await i.run(f())).toBe(4)
    samples(i, { "bin/lib/factor.mjs": "export const FACTOR = 3\n" })
    expect(await i.run(f())).toBe(6)
    const { statuses, why } = await history(i, "bin-count")
    expect(statuses).toEqual([0, 3, 0])
    expect(why).toContain(`the file '${path.join(dir, "bin", "lib", "factor.mjs")}' imported by a script its body ran changed`)
  })

  it("a Node script's own modules (imported two deep) are checked on a hit: an edited one is a miss, an unrelated one is not", async () => {
    const i = await instance()
    const dir = samples(i, {
      "in.txt": "1,2",
      "count.mjs": `import { readFileSync } from "node:fs"\nimport { scale } from "./lib/scale.mjs"\nprocess.stdout.write(String(scale(readFileSync(process.argv[2], "utf8").split(",").length)))\n`,
      "lib/scale.mjs": `import { FACTOR } from "./factor.mjs"\nexport const scale = (n) => n * FACTOR\n`,
      "lib/factor.mjs": "export const FACTOR = 2\n",
      "lib/unused.mjs": "export const X = 1\n"
    })
    const count = step("node-count", (input: string) => Effect.sync(() => Number(execFileSync(process.execPath, [path.join(dir, "count.mjs"), input], { encoding: "utf8" }))))
    const f = flow("node-count-flow", () => count(path.join(dir, "in.txt")))
    expect(await i.run(f())).toBe(4)
    samples(i, { "lib/unused.mjs": "export const X = 2\n" })
    expect(await i.run(f())).toBe(4)
    samples(i, { "lib/factor.mjs": "export const FACTOR = 3\n" })
    expect(await i.run(f())).toBe(6)
    const runs = await i.run(runsNamed("node-count"))
    expect(runs.map((r) => r._status_code)).toEqual([0, 3, 0])
    expect((await i.run(Run.why(runs[2]!.uid))).message).toContain(`the file '${path.join(dir, "lib", "factor.mjs")}' imported by a script its body ran changed`)
  })

  it("a shell script's named files and scripts (a sourced library, a Python script and its imports) are checked on a hit; why names them", async () => {
    const i = await instance()
    const dir = samples(i, {
      "in.txt": "1,2",
      "scripts/run.sh": `#!/bin/sh\n# $DIR is where this script lives\nDIR=$(dirname "$0")\n. "$DIR/lib.sh"\n${PYTHON} "$DIR/score.py" "$1" | scale\n`,
      "scripts/lib.sh": "FACTOR=1\nscale() { read n; echo $((n * FACTOR)); }\n",
      "scripts/score.py": "import sys\nimport helpers\nprint(helpers.total(open(sys.argv[1]).read()))\n",
      "scripts/helpers.py": "def total(text):\n    return sum(int(x) for x in text.split(','))\n",
      "scripts/unrelated.sh": "echo 1\n"
    })
    const run = step("shell-run", (input: string) => Effect.sync(() => Number(execFileSync("sh", [path.join(dir, "scripts", "run.sh"), input], { encoding: "utf8" }))))
    const f = flow("shell-flow", () => run(path.join(dir, "in.txt")))
    expect(await i.run(f())).toBe(3)
    samples(i, { "scripts/unrelated.sh": "echo 2\n" })
    expect(await i.run(f())).toBe(3)
    samples(i, { "scripts/helpers.py": "def total(text):\n    return 1 + sum(int(x) for x in text.split(','))\n" })
    expect(await i.run(f())).toBe(4)
    samples(i, { "scripts/lib.sh": "FACTOR=3\nscale() { read n; echo $((n * FACTOR)); }\n" })
    expect(await i.run(f())).toBe(12)
    const runs = await i.run(runsNamed("shell-run"))
    expect(runs.map((r) => r._status_code)).toEqual([0, 3, 0, 0])
    expect((await i.run(Run.why(runs[2]!.uid))).message).toContain(`the file '${path.join(dir, "scripts", "helpers.py")}' imported by a script its body ran changed`)
    expect((await i.run(Run.why(runs[3]!.uid))).message).toContain(`the file '${path.join(dir, "scripts", "lib.sh")}' named by a script its body ran changed`)
  })

  it("a nested step's reads are its caller's too: the outer step misses when the inner one's file changes", async () => {
    const i = await instance()
    const dir = samples(i, { "w.txt": "2" })
    const weight = step("inner-weight", () => Effect.sync(() => Number(readFileSync(path.join(dir, "w.txt"), "utf8"))))
    const scaled = step("outer-scaled", (x: number) => Effect.map(weight(), (w) => x * w))
    const f = flow("nested-read-flow", (x: number) => scaled(x))
    expect(await i.run(f(3))).toBe(6)
    expect(await i.run(f(3))).toBe(6)
    writeFileSync(path.join(dir, "w.txt"), "5")
    expect(await i.run(f(3))).toBe(15)
    expect((await history(i, "outer-scaled")).statuses).toEqual([0, 3, 0])
    expect(await keyFiles(i, "outer-scaled")).toEqual([path.join(dir, "w.txt")])
  })

  it("concurrent Promise bodies keep their reads apart: only the step whose file changed misses", async () => {
    const i = await instance()
    const dir = samples(i, { "a.txt": "1", "b.txt": "2" })
    const reader = (name: string) =>
      step(`apart-${name}`, async () => {
        await new Promise((resolve) => setTimeout(resolve, name === "a" ? 5 : 1))
        const text = await readFile(path.join(dir, `${name}.txt`), "utf8")
        await new Promise((resolve) => setTimeout(resolve, 1))
        return Number(text)
      })
    const [a, b] = [reader("a"), reader("b")]
    const f = flow("apart-flow", () => Effect.all([a(), b()], { concurrency: 2 }))
    expect(await i.run(f())).toEqual([1, 2])
    writeFileSync(path.join(dir, "b.txt"), "7")
    expect(await i.run(f())).toEqual([1, 7])
    expect((await history(i, "apart-a")).statuses).toEqual([0, 3])
    expect((await history(i, "apart-b")).statuses).toEqual([0, 0])
  })

  it("concurrent Effect bodies reading in a promise after an await (Effect.promise) keep their reads apart: only the step whose file changed misses", async () => {
    const i = await instance()
    const dir = samples(i, { "a.txt": "1", "b.txt": "2", "c.txt": "3" })
    const reader = (name: string, ms: number) =>
      step(`promised-${name}`, () =>
        Effect.promise(async () => {
          await new Promise((resolve) => setTimeout(resolve, ms))
          return Number(readFileSync(path.join(dir, `${name}.txt`), "utf8"))
        })
      )
    const readers = [reader("a", 6), reader("b", 3), reader("c", 1)]
    const f = flow("promised-flow", () => Effect.all(readers.map((r) => r()), { concurrency: "unbounded" }))
    expect(await i.run(f())).toEqual([1, 2, 3])
    writeFileSync(path.join(dir, "b.txt"), "7")
    expect(await i.run(f())).toEqual([1, 7, 3])
    expect((await history(i, "promised-a")).statuses).toEqual([0, 3])
    expect((await history(i, "promised-b")).statuses).toEqual([0, 0])
    expect(await keyFiles(i, "promised-c")).toEqual([path.join(dir, "c.txt")])
  })

  it("what the body wrote before reading it back, and the artifacts it saved and loaded, are not checked: a rerun hits", async () => {
    const i = await instance()
    const dir = samples(i, {})
    const stored = await i.run(saveText(i.dir, "trace/in.txt", "10"))
    const roundTrip = step("round-trip", (n: number, input: Artifact) =>
      Effect.gen(function* () {
        const scratch = path.join(dir, "scratch.txt")
        writeFileSync(scratch, String(n))
        const saved = yield* saveText(i.dir, "trace/out.txt", readFileSync(scratch, "utf8"))
        return Number(yield* loadText(saved)) + Number(yield* loadText(input))
      })
    )
    const f = flow("round-trip-flow", (n: number) => roundTrip(n, stored))
    expect(await i.run(f(4))).toBe(14)
    expect(await i.run(f(5))).toBe(15)
    // The other call rewrote the scratch file: this call never read what it held before.
    expect(await i.run(f(4))).toBe(14)
    expect((await history(i, "round-trip")).statuses).toEqual([0, 0, 3])
    // Nothing it read was an input: not the scratch file, its saved copy in storage or a download.
    expect(await keyFiles(i, "round-trip")).toEqual([])
  })
}, { storages: ["local", "s3"] })
