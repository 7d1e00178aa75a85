/**
 * Sales report: a tracked pipeline over four regional CSV exports.
 *
 *   raw/<region>.csv ─ clean ─ summarize ─┐            ┌─ rank ──┐
 *        (×4, fan-out)                    ├─ combine ──┤         ├─ report → report.md
 *                                         ┘  (fan-in)  └─ trend ─┘
 *
 * Every step is a cached run: the second `npm run example -- sales-report` reuses all of them.
 * Inspect the result with `lamina lineage sales/report.md --format html -o lineage.html`.
 *
 * @module
 */
import * as path from "node:path"
import { Effect } from "effect"
import { flow, step } from "../../../src/flow/index.js"
import type { Artifact } from "../../../src/registry/Artifact.js"
import { formatCsv, parseCsv } from "../_lib/csv.js"
import type { ExampleContext } from "../_lib/example.js"
import { readText, registerFile, saveText } from "../_lib/files.js"
import { PRODUCTS, writeSalesFiles } from "./data.js"

export const description = "Clean, summarize, combine, rank and report four regions of sales CSVs (12 step runs, fan-out and fan-in)"

/** Rows a cleaning step dropped, by reason. */
interface Dropped {
  readonly missing_units: number
  readonly negative_units: number
  readonly bad_date: number
  readonly unknown_product: number
}

const catalogue = new Map(PRODUCTS.map((p) => [p.name.toLowerCase(), p.name]))
const money = (x: number) => x.toFixed(2)

/** Drop malformed rows, normalise product names; one cleaned CSV per region. */
export const clean = step({ name: "clean", concurrency: 4 }, (raw: Artifact, region: string) =>
  Effect.gen(function* () {
    const table = parseCsv(yield* readText(raw))
    const dropped = { missing_units: 0, negative_units: 0, bad_date: 0, unknown_product: 0 }
    const kept: Array<Record<string, string>> = []
    for (const row of table.rows) {
      const units = row.units!.trim()
      const product = catalogue.get(row.product!.trim().toLowerCase())
      if (units === "") dropped.missing_units++
      else if (Number(units) <= 0) dropped.negative_units++
      else if (!/^\d{4}-\d{2}-\d{2}$/.test(row.date!)) dropped.bad_date++
      else if (product === undefined) dropped.unknown_product++
      else kept.push({ date: row.date!, store: row.store!, product, units, unit_price: row.unit_price! })
    }
    yield* Effect.log(`${region}: kept ${kept.length} of ${table.rows.length} rows`)
    const cleaned = yield* saveText(`sales/clean/${region}.csv`, formatCsv(["date", "store", "product", "units", "unit_price"], kept), `${region} sales, cleaned`)
    return { table: cleaned, kept: kept.length, dropped: dropped as Dropped }
  })
)

/** Monthly units and revenue per product for one region. */
export const summarize = step("summarize", (cleaned: Artifact, region: string) =>
  Effect.gen(function* () {
    const { rows } = parseCsv(yield* readText(cleaned))
    const totals = new Map<string, { month: string; product: string; units: number; revenue: number }>()
    for (const r of rows) {
      const month = r.date!.slice(0, 7)
      const key = `${month}|${r.product}`
      const t = totals.get(key) ?? { month, product: r.product!, units: 0, revenue: 0 }
      t.units += Number(r.units)
      t.revenue += Number(r.units) * Number(r.unit_price)
      totals.set(key, t)
    }
    const out = [...totals.values()].sort((a, b) => a.month.localeCompare(b.month) || a.product.localeCompare(b.product))
    return yield* saveText(
      `sales/monthly/${region}.csv`,
      formatCsv(["month", "product", "units", "revenue"], out.map((t) => ({ ...t, revenue: money(t.revenue) }))),
      `${region} monthly sales per product`
    )
  })
)

/** Fan-in: every region's monthly table in one, with a region column. */
export const combine = step("combine", (monthly: ReadonlyArray<Artifact>, regions: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const rows: Array<Record<string, string>> = []
    for (const [i, table] of monthly.entries()) for (const r of parseCsv(yield* readText(table)).rows) rows.push({ region: regions[i]!, ...r })
    return yield* saveText("sales/monthly-all.csv", formatCsv(["region", "month", "product", "units", "revenue"], rows), "monthly sales, all regions")
  })
)

/** The best-selling products overall by revenue, with each region's share. */
export const rank = step("rank", (combined: Artifact, top = 5) =>
  Effect.gen(function* () {
    const { rows } = parseCsv(yield* readText(combined))
    const byProduct = new Map<string, { revenue: number; units: number; regions: Map<string, number> }>()
    for (const r of rows) {
      const p = byProduct.get(r.product!) ?? { revenue: 0, units: 0, regions: new Map() }
      p.revenue += Number(r.revenue)
      p.units += Number(r.units)
      p.regions.set(r.region!, (p.regions.get(r.region!) ?? 0) + Number(r.revenue))
      byProduct.set(r.product!, p)
    }
    const ranked = [...byProduct.entries()].sort((a, b) => b[1].revenue - a[1].revenue).slice(0, top)
    return yield* saveText(
      "sales/top-products.csv",
      formatCsv(
        ["rank", "product", "units", "revenue", "best_region"],
        ranked.map(([product, p], i) => ({
          rank: i + 1,
          product,
          units: p.units,
          revenue: money(p.revenue),
          best_region: [...p.regions.entries()].sort((a, b) => b[1] - a[1])[0]![0]
        }))
      ),
      `top ${top} products by revenue`
    )
  })
)

/** Revenue per region and month, with month-over-month growth. */
export const trend = step("trend", (combined: Artifact) =>
  Effect.gen(function* () {
    const { rows } = parseCsv(yield* readText(combined))
    const revenue = new Map<string, number>()
    for (const r of rows) revenue.set(`${r.region}|${r.month}`, (revenue.get(`${r.region}|${r.month}`) ?? 0) + Number(r.revenue))
    const out = [...revenue.entries()]
      .map(([k, v]) => ({ region: k.split("|")[0]!, month: k.split("|")[1]!, revenue: v }))
      .sort((a, b) => a.region.localeCompare(b.region) || a.month.localeCompare(b.month))
    const withGrowth = out.map((r, i) => {
      const prev = out[i - 1]
      const growth = prev && prev.region === r.region ? ((r.revenue - prev.revenue) / prev.revenue) * 100 : undefined
      return { region: r.region, month: r.month, revenue: money(r.revenue), growth_pct: growth === undefined ? "" : growth.toFixed(1) }
    })
    return yield* saveText("sales/revenue-trend.csv", formatCsv(["region", "month", "revenue", "growth_pct"], withGrowth), "monthly revenue trend per region")
  })
)

/** The markdown report. */
export const report = step(
  "report",
  (combined: Artifact, ranking: Artifact, trendTable: Artifact, quality: ReadonlyArray<{ readonly region: string; readonly kept: number } & Dropped>) =>
    Effect.gen(function* () {
      const all = parseCsv(yield* readText(combined)).rows
      const top = parseCsv(yield* readText(ranking)).rows
      const tr = parseCsv(yield* readText(trendTable)).rows
      const total = all.reduce((s, r) => s + Number(r.revenue), 0)
      const byRegion = new Map<string, number>()
      for (const r of all) byRegion.set(r.region!, (byRegion.get(r.region!) ?? 0) + Number(r.revenue))
      const best = (region: string) =>
        tr.filter((r) => r.region === region && r.growth_pct !== "").sort((a, b) => Number(b.growth_pct) - Number(a.growth_pct))[0]
      const lines = [
        "# Sales report 2024",
        "",
        `Total revenue: **${money(total)}** across ${byRegion.size} regions.`,
        "",
        "## Revenue by region",
        "",
        "| region | revenue | share | best month (growth) |",
        "|---|---:|---:|---|",
        ...[...byRegion.entries()]
          .sort((a, b) => b[1] - a[1])
          .map(([region, v]) => {
            const b = best(region)
            return `| ${region} | ${money(v)} | ${((v / total) * 100).toFixed(1)}% | ${b ? `${b.month} (+${b.growth_pct}%)` : "—"} |`
          }),
        "",
        "## Top products",
        "",
        "| # | product | units | revenue | best region |",
        "|---:|---|---:|---:|---|",
        ...top.map((r) => `| ${r.rank} | ${r.product} | ${r.units} | ${r.revenue} | ${r.best_region} |`),
        "",
        "## Data quality",
        "",
        "| region | rows kept | missing units | negative units | bad dates | unknown products |",
        "|---|---:|---:|---:|---:|---:|",
        ...quality.map((q) => `| ${q.region} | ${q.kept} | ${q.missing_units} | ${q.negative_units} | ${q.bad_date} | ${q.unknown_product} |`),
        ""
      ]
      return yield* saveText("sales/report.md", lines.join("\n"), "sales report 2024")
    })
)

/** The pipeline: per-region chains run concurrently, then fan in. */
export const salesReport = flow("sales-report", (raws: ReadonlyArray<{ readonly region: string; readonly table: Artifact }>, top = 5) =>
  Effect.gen(function* () {
    const regions = yield* Effect.forEach(
      raws,
      ({ region, table }) =>
        Effect.gen(function* () {
          const cleaned = yield* clean(table, region)
          const monthly = yield* summarize(cleaned.table, region)
          return { region, cleaned, monthly }
        }),
      { concurrency: "unbounded" }
    )
    const combined = yield* combine(
      regions.map((r) => r.monthly),
      regions.map((r) => r.region)
    )
    const [ranking, trendTable] = yield* Effect.all([rank(combined, top), trend(combined)], { concurrency: 2 })
    return yield* report(
      combined,
      ranking,
      trendTable,
      regions.map((r) => ({ region: r.region, kept: r.cleaned.kept, ...r.cleaned.dropped }))
    )
  })
)

/** Generate the regional exports, register them, run the pipeline. */
export const main = (ctx: ExampleContext) =>
  Effect.gen(function* () {
    const files = writeSalesFiles(path.join(ctx.workDir, "raw"))
    const raws = yield* Effect.forEach(files, ({ region, file }) =>
      Effect.map(registerFile(file, `sales/raw/${region}.csv`, `${region} region sales export`), (table) => ({ region, table }))
    )
    return { report: yield* salesReport(raws) }
  })
