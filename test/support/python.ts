/**
 * Running the Python peers (Debian's python3-anndata, python3-zarr, python3-h5py, pandas, scipy)
 * from tests. Always `/usr/bin/python3`: the pyenv `python3` on PATH cannot see apt packages.
 *
 * When a peer is missing, suites declared with {@link describeWithPython} FAIL with the reason,
 * unless `LAMINA_ALLOW_SKIP=1` is set, in which case they are skipped.
 */
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { describe, it } from "vitest"

/** The interpreter that sees the Debian packages. */
export const PYTHON = "/usr/bin/python3"

/** Modules every format-compatibility suite needs. */
export const PYTHON_MODULES = ["numpy", "pandas", "scipy", "h5py", "zarr", "anndata"] as const

/** Result of probing the Python peers. */
export interface PythonPeers {
  readonly available: boolean
  /** Why the peers are unusable (when `available` is false). */
  readonly reason?: string
  /** Module name → version, for the modules that imported. */
  readonly versions: Readonly<Record<string, string>>
}

let probed: PythonPeers | undefined

/** Probes `/usr/bin/python3` once per process for the modules in {@link PYTHON_MODULES}. */
export const pythonPeers = (): PythonPeers => {
  if (probed !== undefined) return probed
  if (!fs.existsSync(PYTHON)) {
    probed = { available: false, reason: `${PYTHON} does not exist (install python3)`, versions: {} }
    return probed
  }
  const script = [
    "import importlib, json",
    `mods = ${JSON.stringify(PYTHON_MODULES)}`,
    "out = {}",
    "for m in mods:",
    "    try:",
    "        out[m] = getattr(importlib.import_module(m), '__version__', '?')",
    "    except Exception as e:",
    "        out[m] = None",
    "print(json.dumps(out))"
  ].join("\n")
  const res = spawnSync(PYTHON, ["-c", script], { encoding: "utf8", timeout: 60_000 })
  if (res.status !== 0) {
    probed = { available: false, reason: `${PYTHON} failed: ${res.stderr || res.error}`, versions: {} }
    return probed
  }
  const found = JSON.parse(res.stdout) as Record<string, string | null>
  const missing = Object.entries(found).filter(([, v]) => v === null).map(([k]) => k)
  const versions = Object.fromEntries(
    Object.entries(found).filter((e): e is [string, string] => e[1] !== null)
  )
  probed = missing.length === 0
    ? { available: true, versions }
    : {
      available: false,
      reason: `Python peers missing for ${PYTHON}: ${missing.join(", ")} ` +
        `(apt-get install python3-anndata python3-zarr python3-h5py python3-pandas python3-scipy)`,
      versions
    }
  return probed
}

/** Whether a missing peer may skip instead of fail (`LAMINA_ALLOW_SKIP=1`). */
export const allowSkip = (): boolean => process.env.LAMINA_ALLOW_SKIP === "1"

/**
 * `describe` for suites that need the Python peers: runs `fn` when they are available; otherwise
 * registers one failing test carrying the reason (or skips the suite with `LAMINA_ALLOW_SKIP=1`).
 */
export const describeWithPython = (name: string, fn: () => void): void => {
  const peers = pythonPeers()
  if (peers.available) {
    describe(name, fn)
  } else if (allowSkip()) {
    describe.skip(`${name} (skipped: ${peers.reason})`, fn)
  } else {
    describe(name, () => {
      it("needs the Python peers", () => {
        throw new Error(`${peers.reason}. Set LAMINA_ALLOW_SKIP=1 to skip instead.`)
      })
    })
  }
}

/** Options for {@link runPython}. */
export interface RunPythonOptions {
  /** Working directory (default: a fresh temp dir). */
  readonly cwd?: string
  /** Arguments after the script path. */
  readonly args?: ReadonlyArray<string>
  /** Milliseconds before the process is killed (default 120 s). */
  readonly timeoutMs?: number
}

/**
 * Runs a Python script (source text) with `/usr/bin/python3` and returns its stdout.
 * Throws with stderr when the script fails.
 */
export const runPython = (source: string, options: RunPythonOptions = {}): string => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lamina-py-"))
  try {
    const file = path.join(dir, "script.py")
    fs.writeFileSync(file, source)
    const res = spawnSync(PYTHON, [file, ...(options.args ?? [])], {
      cwd: options.cwd ?? dir,
      encoding: "utf8",
      timeout: options.timeoutMs ?? 120_000,
      maxBuffer: 256 * 1024 * 1024,
      env: { ...process.env, PYTHONWARNINGS: "ignore", PYTHONDONTWRITEBYTECODE: "1" }
    })
    if (res.error) throw res.error
    if (res.status !== 0) {
      throw new Error(`python script failed (exit ${res.status}):\n${res.stderr}\n--- script ---\n${source}`)
    }
    return res.stdout
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

/** Runs a Python script that prints one JSON document on its last stdout line, and parses it. */
export const runPythonJson = <A = unknown>(source: string, options: RunPythonOptions = {}): A => {
  const out = runPython(source, options).trim().split("\n")
  return JSON.parse(out[out.length - 1]) as A
}

/** A fresh temporary directory; remove it with `fs.rmSync(dir, { recursive: true })`. */
export const tempDir = (prefix = "lamina-test-"): string => fs.mkdtempSync(path.join(os.tmpdir(), prefix))
