/**
 * Sensor QC, written only with the Promise API (`lamina/promise`): no Effect anywhere.
 *
 *   raw/<station>.csv ─ clean ─ daily ─┐
 *        (×3, fan-out)                 ├─ anomalies ─ report → sensors/report.md
 *                                      ┘   (fan-in)
 *
 * Each `lm.step` call is a cached run: the second `npm run example -- sensors-promise` reuses
 * every one. Then `Run.filter({ params__max_abs: 60 })` finds the cleaning runs.
 *
 * @module
 */
import { writeFileSync } from "node:fs"
import * as path from "node:path"
import type { Artifact, Connection } from "../../../src/promise/index.js"
import { formatCsv, parseCsv } from "../_lib/csv.js"
import { scratchFolder } from "../_lib/files.js"
import type { PromiseExampleContext } from "../_lib/example.js"
import { writeSensorFiles } from "./data.js"

export const description = "Clean, summarize and flag anomalies in three weather stations' readings, with the Promise API only (lamina/promise)"

/** This example uses `lamina/promise`: the runner hands it a connection. */
export const api = "promise"

// The folder is made at the first save (see _lib/files.ts): a per-process folder is state, not a step's input.
let n = 0

/** The steps and the flow, defined on a connection. */
export const define = (lm: Connection) => {
  /** Save text at `key`: inside a step, the step's output. */
  const saveText = async (key: string, text: string, description: string): Promise<Artifact> => {
    const file = path.join(scratchFolder("lamina-sensors-"), `${n++}-${path.basename(key)}`)
    writeFileSync(file, text)
    return (await lm.Artifact.fromPath(file, { key, description })).save()
  }
  /** The text of an artifact: inside a step, the step's input. */
  const readText = async (a: Artifact): Promise<string> => Buffer.from(await a.load()).toString("utf8")

  /** Drop gaps, glitches and unparsable readings; one cleaned CSV per station. */
  const clean = lm.step({ name: "clean", concurrency: 2 }, async (raw: Artifact, station: string, max_abs = 60) => {
    const { rows } = parseCsv(await readText(raw))
    const kept = rows.filter((r) => r.celsius !== "" && Number.isFinite(Number(r.celsius)) && Math.abs(Number(r.celsius)) <= max_abs)
    const table = await saveText(`sensors/clean/${station}.csv`, formatCsv(["time", "station", "celsius"], kept), `${station} readings, cleaned`)
    return { table, kept: kept.length, dropped: rows.length - kept.length }
  })

  /** Daily minimum, mean and maximum of one station. */
  const daily = lm.step("daily", async (cleaned: Artifact, station: string) => {
    const byDay = new Map<string, Array<number>>()
    for (const r of parseCsv(await readText(cleaned)).rows) {
      const day = r.time!.slice(0, 10)
      byDay.set(day, [...(byDay.get(day) ?? []), Number(r.celsius)])
    }
    const out = [...byDay.entries()].map(([day, ts]) => ({
      day,
      station,
      min: Math.min(...ts).toFixed(2),
      mean: (ts.reduce((s, t) => s + t, 0) / ts.length).toFixed(2),
      max: Math.max(...ts).toFixed(2)
    }))
    return saveText(`sensors/daily/${station}.csv`, formatCsv(["day", "station", "min", "mean", "max"], out), `${station} daily temperatures`)
  })

  /** Fan-in: days whose mean is more than `threshold` standard deviations from the station's. */
  const anomalies = lm.step("anomalies", async (tables: ReadonlyArray<Artifact>, threshold = 2) => {
    const flagged: Array<Record<string, string>> = []
    for (const table of tables) {
      const rows = parseCsv(await readText(table)).rows
      const means = rows.map((r) => Number(r.mean))
      const mu = means.reduce((s, x) => s + x, 0) / means.length
      const sigma = Math.sqrt(means.reduce((s, x) => s + (x - mu) ** 2, 0) / means.length)
      for (const r of rows) if (Math.abs(Number(r.mean) - mu) > threshold * sigma) flagged.push({ station: r.station!, day: r.day!, mean: r.mean!, station_mean: mu.toFixed(2) })
    }
    return saveText("sensors/anomalies.csv", formatCsv(["station", "day", "mean", "station_mean"], flagged), `days beyond ${threshold} sigma`)
  })

  /** The markdown report. */
  const report = lm.step("report", async (flagged: Artifact, quality: ReadonlyArray<{ readonly station: string; readonly kept: number; readonly dropped: number }>) => {
    const rows = parseCsv(await readText(flagged)).rows
    const lines = [
      "# Sensor report, March 2024",
      "",
      "## Anomalous days",
      "",
      "| station | day | mean °C | station mean °C |",
      "|---|---|---:|---:|",
      ...rows.map((r) => `| ${r.station} | ${r.day} | ${r.mean} | ${r.station_mean} |`),
      "",
      "## Data quality",
      "",
      "| station | readings kept | dropped |",
      "|---|---:|---:|",
      ...quality.map((q) => `| ${q.station} | ${q.kept} | ${q.dropped} |`),
      ""
    ]
    return saveText("sensors/report.md", lines.join("\n"), "sensor report")
  })

  /** The pipeline: stations in parallel (Promise.all), then fan in. */
  const sensorReport = lm.flow("sensor-report", async (raws: ReadonlyArray<{ readonly station: string; readonly table: Artifact }>, threshold = 2) => {
    const stations = await Promise.all(
      raws.map(async ({ station, table }) => {
        const cleaned = await clean(table, station)
        return { station, cleaned, summary: await daily(cleaned.table, station) }
      })
    )
    const flagged = await anomalies(stations.map((s) => s.summary), threshold)
    return report(
      flagged,
      stations.map((s) => ({ station: s.station, kept: s.cleaned.kept, dropped: s.cleaned.dropped }))
    )
  })

  return { clean, daily, anomalies, report, sensorReport }
}

/** Generate the station exports, register them, run the pipeline, and query the runs. */
export const main = async (ctx: PromiseExampleContext) => {
  const { lm } = ctx
  const { sensorReport } = define(lm)
  const raws = await Promise.all(
    writeSensorFiles(path.join(ctx.workDir, "raw")).map(async ({ station, file }) => ({
      station,
      table: await (await lm.Artifact.fromPath(file, { key: `sensors/raw/${station}.csv`, description: `${station} station export` })).save()
    }))
  )
  const reportArtifact = await sensorReport.withSignal(ctx.signal)(raws)
  const cleaningRuns = await lm.Run.filter({ name: "clean", params__max_abs: 60 }).count()
  return { report: reportArtifact, cleaningRuns }
}
