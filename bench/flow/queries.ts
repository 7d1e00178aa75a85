/**
 * What keeping a step body's registry queries costs (see bench/flow/README.md, "Queries in a
 * step body"; src/tracker/queries.ts). On SQLite, with `--rows` labels (default 100) matching:
 *
 *   - the query alone, run in the flow outside any step (the baseline)
 *   - an executed step whose body runs it, against the same step whose body returns the same
 *     value without querying: the difference is the query plus keeping it (a hash per row)
 *   - a cache hit of each: the difference is running the query again and comparing its digest
 *
 * and what a param naming a local file costs (src/tracker/fileParams.ts: a `stat` when the run
 * ends and on each hit):
 *
 *   - a step taking a path to an existing file, against the same step taking a string of the
 *     same length that is no path (not looked up), executed and as hits
 *
 * Calls alternate in blocks of 10 so load drift hits all alike. Run:
 * `npx tsc -p tsconfig.json && node dist/bench/flow/queries.js [--steps 300] [--rows 100]`.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect, type Layer, ManagedRuntime } from "effect"
import { step } from "../../src/flow/index.js"
import { ULabel } from "../../src/index.js"
import * as Lamina from "../../src/instance/Lamina.js"
import { median, numberArg } from "../util.js"
import { rotatingBlocks } from "./blocks.js"

const args = process.argv.slice(2)
const steps = numberArg(args, "steps", 300)
const rows = numberArg(args, "rows", 100)
const ms = (x: number): string => `${x.toFixed(3)} ms`

const dir = mkdtempSync(path.join(os.tmpdir(), "lamina-bench-queries-"))
process.env.LAMINA_HOME ??= path.join(dir, "home")
mkdirSync(path.join(dir, "storage", ".lamina"), { recursive: true })
const rt = ManagedRuntime.make(Lamina.layer({ storage: path.join(dir, "storage") }) as Layer.Layer<Lamina.Lamina, unknown>)

const vocabulary = ULabel.filter({ name__startswith: "tissue:" })
const queried = step({ name: "queried" }, (i: number) => Effect.map(vocabulary.toArray(), (labels) => labels.length + i))
const plain = step({ name: "plain" }, (i: number) => Effect.succeed(rows + i))
const named = step({ name: "named" }, (name: string, i: number) => Effect.succeed(name.length + i))
const file = path.join(dir, "input.csv")
writeFileSync(file, "a,b\n1,2\n")
const text = "x".repeat(file.length)
type Kind = "query" | "queried" | "plain" | "file" | "text"
const call = (kind: Kind, i: number) =>
  kind === "query"
    ? Effect.map(vocabulary.toArray(), (labels) => labels.length + i)
    : kind === "queried"
      ? queried(i)
      : kind === "plain"
        ? plain(i)
        : named(kind === "file" ? file : text, i)

const KINDS: ReadonlyArray<Kind> = ["query", "queried", "plain", "file", "text"]
const { times, block, pass } = rotatingBlocks(rt, "queries-bench", KINDS, steps, call)

try {
  await rt.runPromise(Effect.forEach(Array.from({ length: rows }, (_, k) => `tissue:${k}`), (name) => ULabel.create({ name }), { discard: true }))
  const scratch = times()
  for (const kind of KINDS) await block(kind, 1_000_000, scratch[kind])
  const executed = times()
  const hit = times()
  await pass(executed)
  await pass(hit)
  const q = median([...executed.query, ...hit.query])
  const keep = median(executed.queried) - median(executed.plain)
  const check = median(hit.queried) - median(hit.plain)
  const load = os.loadavg()[0]!
  process.stdout.write(
    `queries in a step body (SQLite, ${rows} rows per query, ${steps} calls per median, node ${process.version}, load average ${load.toFixed(1)})\n` +
      `  the query alone ${ms(q)}\n` +
      `  executed step: with the query ${ms(median(executed.queried))} | without ${ms(median(executed.plain))} | added ${ms(keep)} = ${(keep / q).toFixed(2)}x the query\n` +
      `  cache hit: with the query ${ms(median(hit.queried))} | without ${ms(median(hit.plain))} | added ${ms(check)} = ${(check / q).toFixed(2)}x the query\n` +
      `  a param naming a file, against a string that is no path: executed ${ms(median(executed.file))} / ${ms(median(executed.text))} = ${(median(executed.file) / median(executed.text)).toFixed(2)}x | hit ${ms(median(hit.file))} / ${ms(median(hit.text))} = ${(median(hit.file) / median(hit.text)).toFixed(2)}x\n`
  )
  process.stdout.write(
    JSON.stringify({
      rows,
      queryMs: q,
      executedQueriedMs: median(executed.queried),
      executedPlainMs: median(executed.plain),
      hitQueriedMs: median(hit.queried),
      hitPlainMs: median(hit.plain),
      executedFileMs: median(executed.file),
      executedTextMs: median(executed.text),
      hitFileMs: median(hit.file),
      hitTextMs: median(hit.text),
      loadAverage: load
    }) + "\n"
  )
} finally {
  await rt.dispose()
  rmSync(dir, { recursive: true, force: true })
}
