/**
 * Deterministic sales data for the example: one CSV per region, a year of daily store sales,
 * with the mistakes real exports have (missing units, negative quantities, bad dates, stray
 * whitespace) for the cleaning step to deal with.
 *
 * @module
 */
import * as path from "node:path"
import { formatCsv } from "../_lib/csv.js"
import { writeFile } from "../_lib/files.js"
import { seeded, seedOf } from "../_lib/random.js"

/** The regions, one input file each. */
export const REGIONS = ["north", "south", "east", "west"] as const

/** The product catalogue: name and list price. */
export const PRODUCTS: ReadonlyArray<{ readonly name: string; readonly price: number }> = [
  { name: "espresso beans 1kg", price: 24.5 },
  { name: "filter coffee 500g", price: 11.9 },
  { name: "green tea 100 bags", price: 8.4 },
  { name: "oat milk 1l", price: 2.3 },
  { name: "ceramic mug", price: 9.0 },
  { name: "pour-over kettle", price: 39.0 },
  { name: "hand grinder", price: 54.0 },
  { name: "paper filters x100", price: 4.2 }
]

const COLUMNS = ["date", "store", "product", "units", "unit_price"]

/** Rows for one region (about 1,100 rows). */
const rowsFor = (region: string): Array<Record<string, string>> => {
  const rand = seeded(seedOf(region))
  const stores = Array.from({ length: 3 }, (_, i) => `${region}-${String(i + 1).padStart(2, "0")}`)
  // Each region has its own taste: a few favourite products sell more.
  const weights = PRODUCTS.map(() => 0.3 + rand() * 1.7)
  const rows: Array<Record<string, string>> = []
  for (let day = 0; day < 365; day++) {
    const date = new Date(Date.UTC(2024, 0, 1 + day))
    const iso = date.toISOString().slice(0, 10)
    const season = 1 + 0.35 * Math.sin(((day - 30) / 365) * 2 * Math.PI)
    for (const store of stores) {
      const product = PRODUCTS[Math.floor(rand() * PRODUCTS.length)]!
      const w = weights[PRODUCTS.indexOf(product)]!
      const units = Math.max(1, Math.round(w * season * (2 + rand() * 10)))
      const discount = rand() < 0.1 ? 0.85 : 1
      const row = { date: iso, store, product: product.name, units: String(units), unit_price: (product.price * discount).toFixed(2) }
      const glitch = rand()
      if (glitch < 0.012) row.units = ""
      else if (glitch < 0.02) row.units = String(-units)
      else if (glitch < 0.026) row.date = `${iso.slice(8, 10)}/${iso.slice(5, 7)}/${iso.slice(0, 4)}`
      else if (glitch < 0.04) row.product = `  ${row.product.toUpperCase()} `
      rows.push(row)
    }
  }
  return rows
}

/** Write one CSV per region under `dir`; returns the files by region. */
export const writeSalesFiles = (dir: string): ReadonlyArray<{ readonly region: string; readonly file: string }> =>
  REGIONS.map((region) => ({ region, file: writeFile(path.join(dir, `${region}.csv`), formatCsv(COLUMNS, rowsFor(region))) }))
