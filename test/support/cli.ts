/**
 * Run the compiled `lamina` CLI (dist/lamina.mjs, built by `npm test` before vitest) in a
 * temporary LAMINA_HOME.
 */
import { spawn } from "node:child_process"
import { existsSync } from "node:fs"
import * as path from "node:path"

/** The bundled CLI. */
export const cliPath = path.resolve("dist/lamina.mjs")

/** The outcome of one CLI call. */
export interface CliResult {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

/**
 * Run `lamina ARGS` with `home` as LAMINA_HOME. Asynchronous on purpose: a test that blocks its
 * worker in spawnSync for long stalls vitest's worker RPC ("Timeout calling onTaskUpdate").
 */
export const lamina = (home: string, args: ReadonlyArray<string>, env: Record<string, string> = {}): Promise<CliResult> => {
  if (!existsSync(cliPath)) return Promise.reject(new Error(`${cliPath} is missing: run 'npm run build' first ('npm test' does it).`))
  return runNode([cliPath, ...args], { env: { LAMINA_HOME: home, ...env } })
}

/** How long `runNode` lets a command run before it kills it. */
const RUN_LIMIT_MS = 120_000

/**
 * Run `node ARGS` (stdout and stderr collected). After two minutes its whole process group is
 * killed — processes it started too, which would otherwise hold its pipes open — and the result
 * says so in stderr.
 */
export const runNode = (args: ReadonlyArray<string>, options: { readonly env?: Record<string, string>; readonly cwd?: string } = {}): Promise<CliResult> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...args], {
      env: { ...process.env, ...options.env },
      ...(options.cwd ? { cwd: options.cwd } : {}),
      stdio: ["ignore", "pipe", "pipe"],
      detached: true
    })
    let stdout = ""
    let stderr = ""
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d))
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d))
    const timer = setTimeout(() => {
      stderr += `\n[test] killed after ${RUN_LIMIT_MS / 1000} s with the processes it started`
      try {
        process.kill(-child.pid!, "SIGKILL")
      } catch {
        child.kill("SIGKILL")
      }
    }, RUN_LIMIT_MS)
    child.once("error", reject)
    child.once("close", (code) => {
      clearTimeout(timer)
      resolve({ code: code ?? -1, stdout, stderr })
    })
  })

/** Run and parse the single JSON value the command prints with --json. */
export const laminaJson = async <A = Record<string, unknown>>(home: string, args: ReadonlyArray<string>): Promise<A> => {
  const r = await lamina(home, [...args, "--json"])
  if (r.code !== 0) throw new Error(`lamina ${args.join(" ")} failed (${r.code}): ${r.stderr}`)
  return JSON.parse(r.stdout) as A
}
