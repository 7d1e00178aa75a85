/**
 * Nextflow ingest speed: a synthetic trace of N tasks (default 10,000) whose run published F
 * files (default 20,000, 1–4 KB each) ingested into a fresh SQLite instance on local storage,
 * against a baseline measured in the same run: hashing (md5) and copying the same files with
 * plain Node fs, one file after another. Then the same folder again (idempotent: nothing new).
 *
 * Run: `npx tsc -p tsconfig.json && node dist/bench/adapters/index.js [--tasks N] [--files F]`.
 */
import { createHash } from "node:crypto"
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect, Layer, ManagedRuntime } from "effect"
import { Adapters } from "../../src/adapters/index.js"
import * as Lamina from "../../src/instance/Lamina.js"
import { numberArg, report, time } from "../util.js"

const args = process.argv.slice(2)
const arg = (name: string, fallback: number): number => numberArg(args, name, fallback)
const TASKS = arg("tasks", 10_000)
const FILES = arg("files", 20_000)

const root = mkdtempSync(path.join(os.tmpdir(), "lamina-bench-adapters-"))
const project = path.join(root, "project")
const info = path.join(project, "results", "pipeline_info")
mkdirSync(info, { recursive: true })

// The trace: the default 14 columns, human-formatted like Nextflow writes them.
const header = "task_id\thash\tnative_id\tname\tstatus\texit\tsubmit\tduration\trealtime\t%cpu\tpeak_rss\tpeak_vmem\trchar\twchar"
const lines = [header]
for (let i = 1; i <= TASKS; i++) {
  const proc = `BENCH:STAGE_${i % 20}`
  const hash = createHash("md5").update(String(i)).digest("hex")
  const t = new Date(Date.UTC(2026, 0, 1, 0, 0, 0) + i * 1000).toISOString().replace("T", " ").replace("Z", "")
  lines.push(`${i}\t${hash.slice(0, 2)}/${hash.slice(2, 8)}\t${1000 + i}\t${proc} (sample_${i})\t${i % 50 === 0 ? "CACHED" : "COMPLETED"}\t0\t${t}\t4.9s\t3s\t98.5%\t105.4 MB\t1.2 GB\t12.3 MB\t4.5 MB`)
}
writeFileSync(path.join(info, "execution_trace_2026-01-01_00-00-00.txt"), lines.join("\n") + "\n")
writeFileSync(path.join(info, "params_2026-01-01_00-00-05.json"), JSON.stringify({ input: "samplesheet.csv", outdir: "results", trace_report_suffix: "2026-01-01_00-00-00" }, null, 4))
writeFileSync(path.join(info, "software_versions.yml"), "Workflow:\n  Nextflow: 25.10.4\n  bench/pipeline: 1.0.0\n")
const published: Array<string> = []
for (let i = 0; i < FILES; i++) {
  const dir = path.join(project, "results", `stage_${i % 20}`, `batch_${Math.floor(i / 1000)}`)
  if (i % 1000 < 20) mkdirSync(dir, { recursive: true })
  const file = path.join(dir, `sample_${i}.txt`)
  writeFileSync(file, `sample ${i}\n`.repeat(100 + (i % 300)))
  published.push(file)
}

// Baseline: hash and copy every file with plain fs, sequentially.
const copyDir = path.join(root, "baseline")
mkdirSync(copyDir)
const baseline = await time(() => {
  for (const [i, file] of published.entries()) {
    createHash("md5").update(readFileSync(file)).digest()
    copyFileSync(file, path.join(copyDir, `${i}.txt`))
  }
})

const runtime = ManagedRuntime.make(
  Lamina.layer({ storage: path.join(root, "storage"), db: path.join(root, "registry.db") }) as Layer.Layer<Lamina.Lamina, unknown>
)
let summary: unknown
const ingest = await time(async () => {
  summary = await runtime.runPromise(Adapters.nextflow.ingest(project))
})
const again = await time(async () => {
  await runtime.runPromise(Adapters.nextflow.ingest(project).pipe(Effect.asVoid))
})
await runtime.dispose()

const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`
console.log(JSON.stringify(summary))
report(`Nextflow ingest: ${TASKS} tasks, ${FILES} published files (SQLite, local storage)`, [
  { name: "first ingest", value: s(ingest), baseline: `${s(baseline)} (md5 + copy, plain fs)`, ratio: `${(ingest / baseline).toFixed(2)}×`, target: "≤ 10 s at 10,000 tasks / 20,000 files", ok: ingest <= 10_000 * Math.max(TASKS / 10_000, FILES / 20_000) },
  { name: "same folder again (adds nothing)", value: s(again), baseline: s(baseline), ratio: `${(again / baseline).toFixed(2)}×`, target: "faster than the first ingest", ok: again < ingest }
])
rmSync(root, { recursive: true, force: true })
