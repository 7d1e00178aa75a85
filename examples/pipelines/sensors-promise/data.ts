/**
 * Seeded hourly temperature exports of three weather stations over two weeks, with the faults
 * real loggers have: gaps (empty readings), sensor glitches (-999, 85.0) and unparsable text.
 * Identical on every run, so their hashes — and the cache keys built on them — are too.
 *
 * @module
 */
import * as path from "node:path"
import { formatCsv } from "../_lib/csv.js"
import { writeFile } from "../_lib/files.js"
import { gaussian, seeded, seedOf } from "../_lib/random.js"

/** The stations and their typical temperature. */
export const STATIONS: ReadonlyArray<{ readonly name: string; readonly base: number }> = [
  { name: "harbor", base: 11 },
  { name: "ridge", base: 4 },
  { name: "valley", base: 15 }
]

const DAYS = 14

const rowsFor = (station: string, base: number): Array<Record<string, string>> => {
  const rand = seeded(seedOf(station))
  const rows: Array<Record<string, string>> = []
  for (let d = 0; d < DAYS; d++) {
    // one warm spell per station, the anomaly the report should find
    const spell = d === 9 ? 9 : 0
    for (let h = 0; h < 24; h++) {
      const t = base + spell + 5 * Math.sin(((h - 9) / 24) * 2 * Math.PI) + gaussian(rand)
      const r = rand()
      const value = r < 0.02 ? "" : r < 0.03 ? "-999" : r < 0.035 ? "85.0" : r < 0.04 ? "n/a" : t.toFixed(2)
      rows.push({ time: `2024-03-${String(d + 1).padStart(2, "0")}T${String(h).padStart(2, "0")}:00`, station, celsius: value })
    }
  }
  return rows
}

/** Write one CSV per station under `dir`; returns the files by station. */
export const writeSensorFiles = (dir: string): ReadonlyArray<{ readonly station: string; readonly file: string }> =>
  STATIONS.map(({ name, base }) => ({ station: name, file: writeFile(path.join(dir, `${name}.csv`), formatCsv(["time", "station", "celsius"], rowsFor(name, base))) }))
