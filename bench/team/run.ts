/**
 * All team benchmarks in one go (`node dist/bench/team/run.js [s3|throughput|contention|flakes]…`,
 * default all): S3 transfer speed and memory, multi-writer registry throughput, what 8 processes
 * on these cores cost each other, and the multi-process tests run repeatedly for flakes.
 * Results: bench/team/README.md.
 *
 * @module
 */
import * as os from "node:os"
import { fileURLToPath } from "node:url"
import { main as contention } from "./contention.js"
import { main as flakes } from "./flakes.js"
import { main as s3 } from "./s3bench.js"
import { main as throughput } from "./throughput.js"

const parts: Record<string, () => Promise<void> | void> = { s3, throughput, contention, flakes }

export const main = async (which: ReadonlyArray<string>): Promise<void> => {
  const chosen = which.length === 0 ? Object.keys(parts) : which
  console.log(`team benchmarks on ${os.cpus().length} CPUs, load average ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}`)
  for (const name of chosen) {
    const part = parts[name]
    if (part === undefined) throw new Error(`unknown benchmark '${name}': choose from ${Object.keys(parts).join(", ")}`)
    console.log(`\n## ${name}`)
    await part()
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main(process.argv.slice(2))
