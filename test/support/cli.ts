/**
 * Run the compiled `lamina` CLI (dist/lamina.mjs, built by `npm test` before vitest) in a
 * temporary LAMINA_HOME.
 */
import { spawnSync } from "node:child_process"
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

/** Run `lamina ARGS` with `home` as LAMINA_HOME. */
export const lamina = (home: string, args: ReadonlyArray<string>, env: Record<string, string> = {}): CliResult => {
  if (!existsSync(cliPath)) throw new Error(`${cliPath} is missing: run 'npm run build' first ('npm test' does it).`)
  const r = spawnSync(process.execPath, [cliPath, ...args], {
    encoding: "utf8",
    env: { ...process.env, LAMINA_HOME: home, ...env },
    timeout: 60_000
  })
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr }
}

/** Run and parse the single JSON value the command prints with --json. */
export const laminaJson = <A = Record<string, unknown>>(home: string, args: ReadonlyArray<string>): A => {
  const r = lamina(home, [...args, "--json"])
  if (r.code !== 0) throw new Error(`lamina ${args.join(" ")} failed (${r.code}): ${r.stderr}`)
  return JSON.parse(r.stdout) as A
}
