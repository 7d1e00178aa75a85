/**
 * Flake check of the multi-process tests (`node dist/bench/team/flakes.js`): runs
 * `vitest run test/team` LAMINA_FLAKE_RUNS times (default 20) and reports how many passed.
 * Each run spawns real writer processes on SQLite and Postgres, local and S3 storage.
 *
 * @module
 */
import { spawnSync } from "node:child_process"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..")

export const main = (): void => {
  const runs = Number(process.env.LAMINA_FLAKE_RUNS ?? 20)
  const vitest = path.join(repo, "node_modules", "vitest", "vitest.mjs")
  let passed = 0
  const times: Array<number> = []
  for (let r = 1; r <= runs; r++) {
    const t0 = performance.now()
    const out = spawnSync(process.execPath, [vitest, "run", "test/team"], { cwd: repo, encoding: "utf8", env: process.env, maxBuffer: 64 << 20 })
    const s = (performance.now() - t0) / 1000
    times.push(s)
    const summary = /Tests\s+(.*)/.exec(out.stdout)?.[1]?.trim() ?? "no summary"
    if (out.status === 0) passed++
    else process.stdout.write(out.stdout.split("\n").filter((l) => /FAIL|Error|×/.test(l)).slice(0, 20).join("\n") + "\n")
    console.log(`run ${r}/${runs}: ${out.status === 0 ? "passed" : "FAILED"} (${summary}) in ${s.toFixed(0)} s`)
  }
  console.log(`multi-process tests: ${passed}/${runs} runs passed ${passed === runs ? "OK" : "FLAKY"}`)
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main()
