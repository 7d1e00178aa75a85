/**
 * The files a cacheable step's body reads, seen as it runs. A step reading
 * `path.join(DATA, `${sample}.csv`)` named its file by no param, captured string or literal: the
 * file edited, the next call was a hit with the old result. Now the body's calls of `node:fs`
 * (and `node:fs/promises`) are seen, and each file it opens for reading, each folder it lists
 * and each path it looks up (`existsSync`, `statSync`, `lstatSync`, `access`) enters its run's
 * key files (tracker/fileParams.ts): signed when the run ends, checked again on a hit, as a file
 * a param names is. A path with nothing there is kept too (an optional file the body did not
 * find): its appearing is a change. So is each file named on the command line of a
 * process it starts (`execFileSync("python3", ["scripts/train.py", "data/s1.csv"])`): the
 * script it runs and the data it is given; not what that process reads by other names.
 *
 * How a call is tied to its run: inside a fiber (an Effect body, or the synchronous start of a
 * Promise body), by the fiber's `CurrentRun`; after an `await`, where no fiber runs, by an
 * `AsyncLocalStorage`: a Promise body is called in it, and an Effect body's fibers run each task
 * in it (`tracedScheduler`), so the promises they start carry it. A file the run wrote before
 * reading it is its own output, not an input, and is left out, so a step reading back what it
 * wrote is not a miss at every later call.
 *
 * The environment variables the body reads are kept too (`process.env[name]` in a config helper:
 * a computed name, which reading the source cannot tell): `process.env` becomes a proxy that notes
 * each name read, and a hit compares the values (by hash: they may be secrets).
 *
 * The functions are wrapped once, when this module loads, in `node:fs`' exports (and, through
 * `syncBuiltinESMExports`, in the ES module bindings of code that imported them), and so are the
 * path functions of Node's internal `fs` binding, which `node:fs`' own functions call by name at
 * each call: code that took the functions before Lamina loaded reads through them (glob's
 * path-scurry, graceful-fs and fs-extra keep them from their own load, and a program importing
 * `glob` before `lamina` loads them first); all but `opendir`, whose binding Node does not hand
 * out. Native addons and a started process opening files by other names read unseen: pass such
 * files as params or input artifacts.
 *
 * @module
 */
import { AsyncLocalStorage } from "node:async_hooks"
import childProcess from "node:child_process"
import fs from "node:fs"
import { syncBuiltinESMExports } from "node:module"
import * as path from "node:path"
import { Effect, Fiber, FiberRef, Option, type Scheduler } from "effect"
import { flushAll } from "../db/writeBehind.js"
// Loaded before the wrapping below: it keeps the original functions for Lamina's own reads.
import { envUntraced, isOwnWork } from "../storage/ownWork.js"
import { looksLikePath } from "../tracker/pathLike.js"
import { pythonCodeImports } from "../tracker/pythonImports.js"
import { onPath, programWords } from "../tracker/programs.js"
import { isPythonScript, pythonImportFolders, pythonLaunchOf } from "../tracker/pythonSite.js"
import { CurrentRun, type RunScope } from "./CurrentRun.js"

/** What one run's body read and wrote, by absolute path. */
export class FileTrace {
  /** Files opened for reading before the run wrote them. */
  readonly read = new Set<string>()
  /** Folders listed. */
  readonly listed = new Set<string>()
  /** Folders listed with their subfolders (`readdir(dir, { recursive: true })`). */
  readonly listedTrees = new Set<string>()
  /** Paths looked up (`existsSync`, `statSync`, `lstatSync`, `access`) before the run wrote them. */
  readonly lookedUp = new Set<string>()
  /** What the command lines of processes it started named (a script, its data), before the run wrote them. */
  readonly ran = new Set<string>()
  /** The folders of the `PYTHONPATH` its Python processes ran with and of their interpreters' editable installs (absolute). */
  readonly pythonPath = new Set<string>()
  /** The project modules that Python code given on a command line (`python3 -c "…"`) imports. */
  readonly imported = new Set<string>()
  /** Environment variables read before the body set them. */
  readonly env = new Set<string>()
  /** The paths above that were named relative to the working directory. */
  readonly relative = new Set<string>()
  private readonly written = new Set<string>()
  private readonly envSet = new Set<string>()

  /** Whether the body used no file and no environment variable. */
  get empty(): boolean {
    return this.read.size === 0 && this.listed.size === 0 && this.listedTrees.size === 0 && this.lookedUp.size === 0 && this.ran.size === 0 && this.imported.size === 0 && this.env.size === 0
  }

  noteEnvRead(name: string): void {
    if (!this.envSet.has(name)) this.env.add(name)
  }

  noteEnvSet(name: string): void {
    this.envSet.add(name)
  }

  noteRead(file: string): void {
    if (!this.written.has(file)) this.read.add(file)
  }

  noteLookedUp(file: string): void {
    if (!this.written.has(file)) this.lookedUp.add(file)
  }

  noteRan(file: string): void {
    if (!this.written.has(file)) this.ran.add(file)
  }

  noteWritten(file: string): void {
    this.written.add(file)
  }
}

const traces = new WeakMap<RunScope, FileTrace>()
const afterAwait = new AsyncLocalStorage<FileTrace>()
// Traces of runs not yet ended: with none, a wrapped call (an `fs` call, an environment read) asks nothing more.
let open = 0

/** Start tracing the body of the run of `scope` (a cacheable step's, or a flow's inside one). */
export const traceRun = (scope: RunScope): FileTrace => {
  let trace = traces.get(scope)
  if (trace === undefined) {
    traces.set(scope, (trace = new FileTrace()))
    open++
  }
  return trace
}

/** Stop tracing the run of `scope`: it ended (what its trace held is signed by then). */
export const endTrace = (scope: RunScope): void => {
  if (traces.delete(scope)) open--
}

/** The trace of the run of `scope`, if it is traced. */
export const traceOf = (scope: RunScope): FileTrace | undefined => traces.get(scope)

/** Call `body` so that what it reads after an `await` is still its run's. */
export const callTraced = <A>(trace: FileTrace, body: () => A): A => afterAwait.run(trace, body)

/**
 * `inner` with each task run inside `trace`: the scheduler a traced Effect body's fibers run on,
 * so a promise the body starts (`Effect.promise(async () => { await …; readFileSync(…) })`) reads
 * for its run after an `await`, where no fiber runs. Without it the promise kept whatever context
 * the task that started it ran in: none, or another run's.
 */
export const tracedScheduler = (inner: Scheduler.Scheduler, trace: FileTrace): Scheduler.Scheduler => ({
  scheduleTask: (task, priority, fiber) => inner.scheduleTask(() => afterAwait.run(trace, task), priority, fiber),
  shouldYield: (fiber) => inner.shouldYield(fiber)
})

/** At most this many yields to reach one of a trace's tasks (a fiber on another scheduler never does). */
const MAX_YIELDS = 4

/**
 * Start the Effect body `body` on a fiber whose scheduler is already `tracedScheduler(…,
 * trace)`, inside one of that scheduler's tasks: yield until the fiber runs in one. One yield
 * usually does it; a second is needed when a drain of the fiber was scheduled on its scheduler
 * before (a run's first call from a Promise body: the call's fiber was woken that way), which
 * runs the fiber first, outside the trace.
 */
export const startTraced = <A, E, R>(trace: FileTrace, body: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> => {
  const enter = (yields: number): Effect.Effect<void> =>
    Effect.suspend(() => (afterAwait.getStore() === trace || yields === MAX_YIELDS ? Effect.void : Effect.zipRight(Effect.yieldNow(), enter(yields + 1))))
  return Effect.zipRight(enter(0), body)
}

/** Run the Effect body `body` on `tracedScheduler`, from its first step (`startTraced`). */
export const runTraced = <A, E, R>(trace: FileTrace, body: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.flatMap(FiberRef.get(FiberRef.currentScheduler), (inner) => Effect.withScheduler(startTraced(trace, body), tracedScheduler(inner, trace)))

/** The trace the calling code reads for: its fiber's run's, else (after an `await`) the body's. */
const current = (): FileTrace | undefined => {
  if (open === 0) return undefined
  const trace = tracedCaller()
  // Lamina's own requests inside a body (its S3 client's) are not the body's reads.
  return trace === undefined || isOwnWork() ? undefined : trace
}

const tracedCaller = (): FileTrace | undefined => {
  const fiber = Fiber.getCurrentFiber()
  if (Option.isSome(fiber)) {
    const run = fiber.value.getFiberRef(CurrentRun)
    // A run's fiber says which run reads; the async context a fiber resumes in may be another's.
    if (Option.isSome(run)) return traces.get(run.value)
  }
  return afterAwait.getStore()
}

/** `name` as an absolute path, resolved against `cwd`; noted in `t` when that made it one (run elsewhere, it names another file). */
const resolved = (t: FileTrace, name: string, cwd = "."): string => {
  const file = path.resolve(cwd, name)
  if (!path.isAbsolute(name) && !path.isAbsolute(cwd)) t.relative.add(file)
  return file
}

/** A path argument as an absolute path; undefined for a file descriptor or a `FileHandle`. */
const pathArg = (t: FileTrace, p: unknown): string | undefined => {
  if (typeof p === "string") return resolved(t, p)
  if (p instanceof URL) return p.protocol === "file:" ? path.resolve(decodeURIComponent(p.pathname)) : undefined
  if (Buffer.isBuffer(p)) return resolved(t, p.toString())
  return undefined
}

/** Whether `open`'s flags only read (`r`, the default, or numeric flags without `O_WRONLY`/`O_RDWR`). */
const readsOnly = (flags: unknown): boolean => {
  if (flags === undefined || flags === null) return true
  if (typeof flags === "string") return flags === "r" || flags === "rs" || flags === "sr"
  if (typeof flags === "number") return (flags & (fs.constants.O_WRONLY | fs.constants.O_RDWR)) === 0
  return true
}

const flagsOf = (options: unknown): unknown =>
  typeof options === "object" && options !== null && !Buffer.isBuffer(options) ? (options as { readonly flag?: unknown; readonly flags?: unknown }).flag ?? (options as { readonly flags?: unknown }).flags : undefined

type Note = (trace: FileTrace, args: ReadonlyArray<unknown>) => void

/** How each wrapped function's arguments name what it reads or writes. */
const noteRead: Note = (t, [p, options]) => {
  const file = pathArg(t, p)
  if (file === undefined) return
  if (readsOnly(flagsOf(options))) t.noteRead(file)
  else t.noteWritten(file)
}
const noteOpen: Note = (t, [p, flags]) => {
  const file = pathArg(t, p)
  if (file === undefined) return
  if (readsOnly(typeof flags === "function" ? undefined : flags)) t.noteRead(file)
  else t.noteWritten(file)
}
const noteWritten: Note = (t, [p]) => {
  const file = pathArg(t, p)
  if (file !== undefined) t.noteWritten(file)
}
const noteCopied: Note = (t, [from, to]) => {
  const source = pathArg(t, from)
  if (source !== undefined) t.noteRead(source)
  noteWritten(t, [to])
}
const noteMoved: Note = (t, [, to]) => noteWritten(t, [to])
const noteLookedUp: Note = (t, [p]) => {
  const file = pathArg(t, p)
  if (file !== undefined) t.noteLookedUp(file)
}
const noteListed: Note = (t, [p, options]) => {
  const folder = pathArg(t, p)
  if (folder === undefined) return
  const recursive = typeof options === "object" && options !== null && (options as { readonly recursive?: unknown }).recursive === true
  ;(recursive ? t.listedTrees : t.listed).add(folder)
}

/**
 * The words of a command line that may name files: its program (`./run.sh`, or one named without
 * a folder as found on its `PATH`), a script given to one (`scripts/train.py`) and its data
 * (`data/s1.csv`, `--input=data/s1.csv`), resolved against the command's `cwd`; for a Python
 * command the folders of its `PYTHONPATH` and of its interpreter's editable installs (where a
 * module run with `-m` is also looked for), and the modules `-c` code imports. Which of them are
 * files is decided when the run ends.
 */
const noteCommand = (t: FileTrace, words: ReadonlyArray<unknown>, options: unknown): void => {
  const field = (holder: unknown, name: string): unknown => (typeof holder === "object" && holder !== null ? Reflect.get(holder, name) : undefined)
  const given = field(options, "cwd")
  const cwd = typeof given === "string" ? given : "."
  // The environment the process gets: its own, else this one's.
  const own = field(options, "env")
  const ownEnv = typeof own === "object" && own !== null ? (own as NodeJS.ProcessEnv) : undefined
  const env = ownEnv ?? envUntraced
  const strings = words.filter((w): w is string => typeof w === "string")
  // Its programs; one named without a folder is found on its PATH (tracker/programs.ts): a project's script there is keyed like one named by its path.
  const programs: Array<string> = []
  for (const name of programWords(strings)) {
    const file = name.includes("/") ? resolved(t, name, cwd) : onPath(name, env.PATH ?? envUntraced.PATH, cwd)
    if (file === undefined) continue
    programs.push(file)
    t.noteRan(file)
  }
  // Where a Python process looks for modules first: the PYTHONPATH it gets, and one a shell
  // command line sets (`PYTHONPATH=src python3 …`).
  const pythonPath: Array<string> = []
  const notePythonPath = (value: unknown): void => {
    if (typeof value !== "string") return
    for (const entry of value.split(path.delimiter))
      if (entry !== "") {
        const folder = path.resolve(cwd, entry)
        pythonPath.push(folder)
        t.pythonPath.add(folder)
      }
  }
  // A Python script run as the program is one by its `#!` line too (`bin/filter_reads`).
  const pythonProgram = programs.find(isPythonScript)
  const python = pythonProgram !== undefined || strings.some((w) => /(?:^|[\s\\/])python[\d.]*(?:\s|$)|\.py\b/.test(w))
  if (python) {
    // This one's read as the body's (a key of its run, as the body reading it would be).
    notePythonPath(ownEnv === undefined ? process.env.PYTHONPATH : ownEnv.PYTHONPATH)
    // And where its interpreter imports a project's code from besides: editable installs (tracker/pythonSite.ts).
    for (const folder of pythonImportFolders(pythonLaunchOf(strings.flatMap((w) => w.split(/\s+/)), cwd, pythonProgram), env)) {
      pythonPath.push(folder)
      t.pythonPath.add(folder)
    }
  }
  // `python3 -c CODE`: the project modules the code imports, from the command's folder (Python's first place for them) and the PYTHONPATH's.
  const noteCode = (code: string): void => {
    for (const file of pythonCodeImports(code, [path.resolve(cwd), ...pythonPath])) t.imported.add(file)
  }
  let previous: string | undefined
  for (const word of words) {
    if (typeof word !== "string") continue
    const inline = python && /\s/.test(word) ? /(?:^|\s)-c\s+["']?([\s\S]*)/.exec(word) : null
    if (inline !== null) noteCode(inline[1]!)
    // A shell's script (`sh -c "python3 train.py data/s1.csv"`) is one word: its words too.
    const parts = /\s/.test(word) ? [word, ...word.split(/\s+/)] : [word]
    for (const value of parts.flatMap((w) => (w.includes("=") ? [w, w.slice(w.indexOf("=") + 1)] : [w]))) {
      const unquoted = value.replace(/^(["'])(.*)\1$/, "$2")
      if (python && unquoted.startsWith("PYTHONPATH=")) notePythonPath(unquoted.slice("PYTHONPATH=".length))
      if (python && previous === "-c") noteCode(unquoted)
      if (looksLikePath(unquoted)) t.noteRan(resolved(t, unquoted, cwd))
      // `python3 -m pkg.train`: the module's file, found from the working directory and the PYTHONPATH as Python does.
      if (previous === "-m" && /^\w+(\.\w+)*$/.test(unquoted)) {
        const module = unquoted.split(".").join(path.sep)
        for (const file of [`${module}.py`, path.join(module, "__main__.py")]) {
          t.noteRan(resolved(t, file, cwd))
          for (const folder of pythonPath) t.noteRan(path.join(folder, file))
        }
      }
      previous = unquoted
    }
  }
}

/** `spawn(command, args?, options?)`, `execFile` and `fork` alike. */
const noteSpawned: Note = (t, [command, args, options]) => {
  const [words, given] = Array.isArray(args) ? [[command, ...args], options] : [[command], args]
  // With `shell: true` the words are one shell line, as `exec` takes it.
  const shell = typeof given === "object" && given !== null && Boolean(Reflect.get(given, "shell"))
  noteCommand(t, shell ? [words.filter((w) => typeof w === "string").join(" ")] : words, given)
}

/** `exec(command, options?)`: a shell's command line. */
const noteShell: Note = (t, [command, options]) => noteCommand(t, [command], options)

/** `node:child_process`' functions and how each is noted. */
const COMMANDS: ReadonlyArray<readonly [string, Note]> = [
  ["spawn", noteSpawned],
  ["spawnSync", noteSpawned],
  ["execFile", noteSpawned],
  ["execFileSync", noteSpawned],
  ["fork", noteSpawned],
  ["exec", noteShell],
  ["execSync", noteShell]
]

/** `node:fs`' functions and how each is noted; `fs.promises` has the same names. */
const NOTES: ReadonlyArray<readonly [string, Note]> = [
  ["readFile", noteRead],
  ["createReadStream", noteRead],
  ["open", noteOpen],
  ["writeFile", noteWritten],
  ["appendFile", noteWritten],
  ["createWriteStream", noteWritten],
  ["truncate", noteWritten],
  ["copyFile", noteCopied],
  ["cp", noteCopied],
  ["rename", noteMoved],
  ["mkdir", noteWritten],
  ["readdir", noteListed],
  ["opendir", noteListed],
  ["exists", noteLookedUp],
  ["stat", noteLookedUp],
  ["lstat", noteLookedUp],
  ["access", noteLookedUp]
]

/**
 * The path functions of Node's internal `fs` binding and how each is noted: `node:fs`' own
 * functions call them by name (`binding.readdir(path, …)`), so a function taken from `node:fs`
 * before the wrapping still reaches these. Their arguments are the path and numeric flags.
 */
const BINDING_NOTES: ReadonlyArray<readonly [string, Note]> = [
  ["open", noteOpen],
  ["openFileHandle", noteOpen],
  ["readFileUtf8", noteOpen],
  ["readdir", noteListed],
  ["stat", noteLookedUp],
  ["lstat", noteLookedUp],
  ["access", noteLookedUp],
  ["existsSync", noteLookedUp],
  ["writeFileUtf8", noteWritten],
  ["copyFile", noteCopied],
  ["rename", noteMoved],
  ["mkdir", noteWritten]
]

/** Node's internal `fs` binding (`process.binding("fs")`, which Node 20 hands out without a warning), if this Node has it. */
const fsBinding = (): Record<string, unknown> | undefined => {
  try {
    const binding: unknown = Reflect.get(process, "binding")
    const fsb: unknown = typeof binding === "function" ? Reflect.apply(binding, process, ["fs"]) : undefined
    return typeof fsb === "object" && fsb !== null ? (fsb as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

// Calls of wrapped `node:fs` functions in progress that noted their call: the binding's calls
// they make are noted already.
let noting = 0

/** Wrap `node:fs`' and `node:child_process`' functions and put `process.env` behind `tracedEnv`, so what traced bodies use is noted. */
const install = (): void => {
  const wrap = (holder: Record<string, unknown>, name: string, note: Note, inner: boolean, before?: () => void): void => {
    const original = holder[name]
    if (typeof original !== "function") return
    const wrapped = function (this: unknown, ...args: Array<unknown>): unknown {
      before?.()
      const trace = inner && noting > 0 ? undefined : current()
      if (trace === undefined) return Reflect.apply(original, this, args)
      try {
        note(trace, args)
      } catch {
        // A path that cannot be read as one (the call itself will say so): nothing to note.
      }
      noting++
      try {
        return Reflect.apply(original, this, args)
      } finally {
        noting--
      }
    }
    Object.defineProperty(wrapped, "name", { value: name })
    holder[name] = wrapped
  }
  const callback = fs as unknown as Record<string, unknown>
  const promises = fs.promises as unknown as Record<string, unknown>
  for (const [name, note] of NOTES) {
    wrap(callback, name, note, false)
    wrap(callback, `${name}Sync`, note, false)
    wrap(promises, name, note, false)
  }
  const binding = fsBinding()
  if (binding !== undefined) for (const [name, note] of BINDING_NOTES) wrap(binding, name, note, true)
  const processes = childProcess as unknown as Record<string, unknown>
  // A child process run synchronously may write to the registry: this process's write-behind
  // transaction (db/writeBehind.ts) commits first, or the child would wait for its lock in vain.
  for (const [name, note] of COMMANDS) wrap(processes, name, note, false, name.endsWith("Sync") ? flushAll : undefined)
  syncBuiltinESMExports()
  process.env = tracedEnv(process.env)
}

/**
 * Variables no body computes with, left out of what it read: Lamina's own settings
 * (`LAMINA_CACHE_DIR`, …: where it keeps things), and what a shell, a terminal, a login session,
 * npm or a CI job sets for the session (`OLDPWD` after a `cd`, `SHLVL`, `SSH_TTY`,
 * `npm_lifecycle_event`, `GITHUB_RUN_ID`, …).
 * A process the body starts reads the whole environment it inherits (Node copies every variable
 * for it): with these, a `cd` between two runs made every such step run again.
 */
const UNKEYED =
  /^(?:LAMINA_\w*|OLDPWD|PWD|_|SHLVL|COLORTERM|TERM_SESSION_ID|TERM_PROGRAM(?:_VERSION)?|WINDOWID|WINDOW|STY|TMUX(?:_PANE)?|SSH_\w+|DISPLAY|WAYLAND_DISPLAY|XAUTHORITY|DBUS_SESSION_BUS_ADDRESS|XDG_SESSION_\w+|XDG_RUNTIME_DIR|XDG_VTNR|XDG_SEAT|HIST\w*|PS[1-4]|PROMPT_COMMAND|LS_COLORS|LESSOPEN|LESSCLOSE|MAIL|INVOCATION_ID|JOURNAL_STREAM|VTE_VERSION|(?:VSCODE|ITERM|KONSOLE|GNOME_TERMINAL)_\w+|INIT_CWD|npm_\w+|NODE_V8_COVERAGE|GITHUB_(?:RUN_\w+|JOB|ACTION\w*|OUTPUT|ENV|STATE|STEP_SUMMARY|PATH)|CI_(?:JOB|PIPELINE)_\w+|BUILD_(?:ID|NUMBER|TAG|URL))$/

/**
 * `env` behind a proxy that notes the names traced bodies read (`env.NAME`, `env[name]`, `name in
 * env`) and set. Everything else (listing, spreading, a child process inheriting it) reaches `env`
 * itself, whose values stay strings.
 */
const tracedEnv = (env: NodeJS.ProcessEnv): NodeJS.ProcessEnv => {
  const note = (name: string | symbol, how: "read" | "set"): void => {
    const trace = current()
    if (trace === undefined || typeof name !== "string" || UNKEYED.test(name)) return
    if (how === "read") trace.noteEnvRead(name)
    else trace.noteEnvSet(name)
  }
  return new Proxy(env, {
    get: (target, name) => {
      note(name, "read")
      return Reflect.get(target, name)
    },
    has: (target, name) => {
      note(name, "read")
      return Reflect.has(target, name)
    },
    set: (target, name, value) => {
      note(name, "set")
      return Reflect.set(target, name, value)
    },
    deleteProperty: (target, name) => {
      note(name, "set")
      return Reflect.deleteProperty(target, name)
    }
  })
}

// When Lamina loads, before most code has taken its own copies of the functions (a CommonJS
// `const { readFileSync } = require("fs")`). Outside a traced body a call costs a fiber lookup.
install()
