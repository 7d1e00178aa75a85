/**
 * Child process of scratch.test.ts: make two pending artifacts from an in-memory table (Parquet
 * and CSV), print their temporary paths and end without saving either.
 */
import { tableFromArrays } from "apache-arrow"
import { Effect } from "effect"
import { Artifact } from "../../../src/registry/Artifact.js"

const table = tableFromArrays({ gene: ["a", "b"], count: Int32Array.from([1, 2]) })
const pending = await Effect.runPromise(Effect.all([Artifact.fromTable(table, { key: "tables/one.parquet" }), Artifact.fromTable(table, { format: "csv" })]))
process.stdout.write(JSON.stringify(pending.map((p) => p.localPath)) + "\n")
