/**
 * End to end in Debian's Chromium: `lamina ui` (the built CLI) over a seeded instance; open each
 * page, search, filter by features and labels with the pickers, open an artifact, click through
 * the lineage graph (expanding a collapsed fan-out, opening a collection), compare a sweep, watch a run appear and finish live, and check that an artifact
 * keyed `<img src=x onerror=alert(1)>` runs nothing. Screenshots of each page go to docs/ui/
 * (the pictures in docs/ui.md); a failing test saves one to test-results/ui/.
 */
import { spawn, type ChildProcess } from "node:child_process"
import { mkdirSync, mkdtempSync, rmSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Deferred, Effect } from "effect"
import type { BrowserContext, Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { flow, step } from "../../src/index.js"
import { connect, type TestInstance } from "../support/backends.js"
import { cliPath, lamina } from "../support/cli.js"
import { requireComponent } from "../support/env.js"
import { chromiumAvailable, CHROMIUM, launch } from "../../bench/ui/chromium.js"
import { seedUi, XSS, type Seeded } from "./seed.js"

const enabled = requireComponent(chromiumAvailable(), `Chromium is not installed at ${CHROMIUM} (Debian package 'chromium')`)
// docs/ui/ is refreshed only on request, so a test run leaves the checkout clean.
const SHOTS = path.resolve(process.env.LAMINA_UI_SCREENSHOTS === "1" ? "docs/ui" : "test-results/ui/pages")
const FAILURES = path.resolve("test-results/ui")

/** Start `lamina ui --port 0` and wait for the URL it prints. */
const startCli = (home: string): Promise<{ readonly child: ChildProcess; readonly url: string }> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath, "ui", "--port", "0"], { env: { ...process.env, LAMINA_HOME: home }, stdio: ["ignore", "pipe", "pipe"] })
    let out = ""
    let err = ""
    const timer = setTimeout(() => reject(new Error(`lamina ui did not start: ${out}${err}`)), 60_000)
    child.stderr!.setEncoding("utf8").on("data", (d: string) => (err += d))
    child.stdout!.setEncoding("utf8").on("data", (d: string) => {
      out += d
      const m = out.match(/Lamina UI: (http:\/\/\S+)/)
      if (m !== null) {
        clearTimeout(timer)
        resolve({ child, url: m[1]! })
      }
    })
    child.once("exit", (code) => reject(new Error(`lamina ui exited (${code}): ${out}${err}`)))
  })

;(enabled ? describe : describe.skip)("ui in Chromium", () => {
  let home: string
  let i: TestInstance
  let seeded: Seeded
  let server: { readonly child: ChildProcess; readonly url: string }
  let browser: Awaited<ReturnType<typeof launch>>
  let context: BrowserContext
  let page: Page
  const dialogs: Array<string> = []
  const offsite: Array<string> = []
  const pageErrors: Array<string> = []

  beforeAll(async () => {
    home = mkdtempSync(path.join(os.tmpdir(), "lamina-ui-e2e-"))
    const storage = path.join(home, "storage")
    const init = await lamina(home, ["init", "--storage", storage])
    if (init.code !== 0) throw new Error(init.stderr)
    i = await connect("sqlite", storage, path.join(storage, ".lamina", "lamina.db"), home)
    seeded = await i.run(seedUi(home))
    server = await startCli(home)
    browser = await launch()
    context = browser.context
    const base = new URL(server.url).origin
    // Nothing may be loaded from anywhere but the server itself.
    await context.route("**/*", (route) => {
      const url = route.request().url()
      if (url.startsWith(base) || url.startsWith("data:") || url.startsWith("blob:")) return route.continue()
      offsite.push(url)
      return route.abort()
    })
    page = context.pages()[0] ?? (await context.newPage())
    page.on("dialog", (d) => {
      dialogs.push(d.message())
      void d.dismiss()
    })
    page.on("pageerror", (e) => pageErrors.push(e.message))
    mkdirSync(SHOTS, { recursive: true })
  })

  afterAll(async () => {
    await browser?.close()
    server?.child.kill("SIGTERM")
    await i?.close()
    if (home) rmSync(home, { recursive: true, force: true })
  })

  /** Run a test body; on failure save a screenshot named after it. */
  const step_ = (name: string, body: () => Promise<void>) => async () => {
    try {
      await body()
    } catch (e) {
      mkdirSync(FAILURES, { recursive: true })
      await page.screenshot({ path: path.join(FAILURES, `${name}.png`), fullPage: true }).catch(() => undefined)
      throw e
    }
  }
  const open = (p: string) => page.goto(new URL(p, server.url).href)
  const shot = (name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`) })

  it(
    "artifacts: lists, searches, filters, pages",
    step_("artifacts", async () => {
      await open("/")
      await page.locator("table.artifacts tbody tr").first().waitFor()
      expect(await page.locator("table.artifacts tbody tr").count()).toBeGreaterThan(10)
      await page.fill(".search-input", "plate")
      await page.click(".search-button")
      await page.waitForURL(/q=plate/)
      await expect.poll(() => page.locator("table.artifacts tbody tr a.artifact-link").first().textContent()).toBe("reports/plates.md")
      await page.goto(new URL("/artifacts", server.url).href)
      await page.fill('.quick-filters input[name="key__startswith"]', "raw/")
      await page.press('.quick-filters input[name="key__startswith"]', "Enter")
      await expect.poll(() => page.locator("table.artifacts tbody tr").count()).toBe(3)
      await open("/artifacts?sort=key")
      await page.locator("table.artifacts tbody tr").first().waitFor()
      await shot("artifacts")
    }),
    60_000
  )

  it(
    "artifacts: the feature and label pickers add filters in the --filter language",
    step_("annotation-filters", async () => {
      await open("/artifacts?sort=key")
      await page.locator(".annotation-filters .feature-select").waitFor()
      const rows = page.locator("table.artifacts tbody tr a.artifact-link")
      await page.selectOption(".feature-select", "temperature")
      await page.selectOption(".feature-lookup", "gt")
      await page.fill(".feature-value", "20")
      await page.click(".add-feature-filter")
      await page.waitForURL(/temperature__gt%3D20/)
      await expect.poll(() => rows.allTextContents()).toEqual(["raw/east.csv", "raw/south.csv"])
      await page.fill(".label-input", "qc-passed")
      await page.click(".add-label-filter")
      await expect.poll(() => rows.allTextContents()).toEqual(["raw/south.csv"])
      expect(await page.locator(".annotation-chip").allTextContents()).toEqual(["temperature__gt=20×", 'ulabels__name="qc-passed"×'])
      await shot("artifacts-annotations")
      // a categorical feature: its label names are offered as values
      await page.locator(".annotation-chip", { hasText: "temperature" }).locator(".chip-remove").click()
      await expect.poll(() => rows.allTextContents()).toEqual(["raw/north.csv", "raw/south.csv"])
      await page.selectOption(".feature-select", "region")
      expect(await page.locator("#feature-values option").evaluateAll((os) => os.map((o) => (o as unknown as { readonly value: string }).value))).toEqual(["east", "north", "qc-passed", "south"])
      await page.fill(".feature-value", "north")
      await page.press(".feature-value", "Enter")
      await expect.poll(() => rows.allTextContents()).toEqual(["raw/north.csv"])
      // a name that is no label says so, and adds nothing
      await page.fill(".label-input", "nope")
      await page.click(".add-label-filter")
      expect(await page.locator(".inline-problem").textContent()).toBe("No label named 'nope'.")
      expect(await page.locator(".annotation-chip").count()).toBe(2)
    }),
    60_000
  )

  it(
    "artifact: fields, versions, table preview, runs; markdown is rendered safely",
    step_("artifact", async () => {
      await open("/artifacts?filter=key__startswith%3Dclean%2F")
      await page.locator("a.artifact-link", { hasText: "clean/north.csv" }).click()
      await page.locator("table.preview-table").waitFor()
      expect(await page.locator("h1.artifact-title").textContent()).toBe("clean/north.csv")
      expect(await page.locator("table.preview-table thead th").allTextContents()).toEqual(["sample", "value", "flag"])
      expect(await page.locator("ul.versions li").count()).toBe(1)
      expect(await page.locator("a.download").getAttribute("href")).toMatch(/\/download$/)
      await shot("artifact")
      await open(`/artifacts/${seeded.report.uid}`)
      await page.locator(".markdown h1").waitFor()
      expect(await page.locator(".markdown h1").textContent()).toBe("Plate report")
      expect(await page.locator(".markdown table tr").count()).toBe(4)
      expect(await page.locator(".markdown script").count()).toBe(0)
      await open(`/artifacts/${seeded.adata.uid}`)
      await page.locator(".anndata").waitFor()
      expect(await page.locator(".anndata").textContent()).toContain("3 × 2")
      await open(`/artifacts/${seeded.image.uid}`)
      await page.locator(".preview img").waitFor()
      await expect.poll(() => page.locator(".preview img").evaluate((img) => (img as unknown as { readonly naturalWidth: number }).naturalWidth)).toBe(48)
    }),
    60_000
  )

  it(
    "lineage: the graph opens nodes on click and expands a collapsed fan-out",
    step_("lineage", async () => {
      await open(`/artifacts/${seeded.report.uid}`)
      await page.click("a.lineage-link")
      await page.locator("svg.lineage-graph g.node").first().waitFor()
      expect(await page.locator("svg.lineage-graph g.node.artifact").count()).toBe(7)
      await shot("lineage")
      await page.locator("svg.lineage-graph g.node.run", { hasText: "report" }).click()
      await page.waitForURL(/\/runs\/[0-9A-Za-z]{16}$/)
      await page.locator("h1.run-title").waitFor()
      expect(await page.locator("h1.run-title").textContent()).toContain("report")
      // raw/north.csv feeds a 12-way shard: collapsed to 5 + "+7 more"
      await open(`/lineage?target=${seeded.raw[0]!.uid}&direction=down`)
      await page.locator("svg.lineage-graph g.node.more").first().waitFor()
      const before = await page.locator("svg.lineage-graph g.node").count()
      expect(await page.locator("svg.lineage-graph g.node.more").textContent()).toContain("+7 more")
      await page.locator("svg.lineage-graph g.node.more").click()
      await expect.poll(() => page.locator("svg.lineage-graph g.node").count()).toBe(before + 6)
      expect(await page.locator("svg.lineage-graph g.node.artifact", { hasText: "shards/north-11.csv" }).count()).toBe(1)
      // a collection sits between its members and the run that read it; a click lists its members
      await open(`/lineage?target=${seeded.raw[2]!.uid}&direction=down`)
      const bundle = page.locator("svg.lineage-graph g.node.collection")
      await bundle.waitFor()
      expect(await bundle.textContent()).toContain("plates/bundle")
      expect(await page.locator("svg.lineage-graph g.node.run", { hasText: "bundle-count" }).count()).toBe(1)
      await bundle.click()
      await page.waitForURL(/collections__uid/)
      await expect.poll(() => page.locator("table.artifacts tbody tr a.artifact-link").allTextContents()).toEqual(expect.arrayContaining(["raw/east.csv", "raw/south.csv"]))
      expect(await page.locator("table.artifacts tbody tr").count()).toBe(2)
      await open(`/lineage?target=${seeded.raw[0]!.uid}&direction=down`)
      await page.locator("svg.lineage-graph g.node.more").first().waitFor()
      // pan and zoom change the view transform
      const g = page.locator("svg.lineage-graph > g")
      const t0 = await g.getAttribute("transform")
      await page.mouse.move(600, 400)
      await page.mouse.wheel(0, -300)
      await expect.poll(() => g.getAttribute("transform")).not.toBe(t0)
    }),
    60_000
  )

  it(
    "runs: params as columns, filter by params__…, a run's page with why",
    step_("runs", async () => {
      await open("/runs")
      await page.locator("table.runs tbody tr").first().waitFor()
      const headers = await page.locator("table.runs thead th.param").allTextContents()
      expect(headers).toEqual(expect.arrayContaining(["learning_rate", "epochs"]))
      await page.fill(".filter-input", "params__learning_rate=0.01")
      await page.click(".apply-filters")
      await expect.poll(() => page.locator("table.runs tbody tr").count()).toBe(4)
      await open("/runs?filter=transform__key__endswith%3D%3Atrain")
      await page.locator("table.runs tbody tr").first().waitFor()
      await shot("runs")
      await open("/runs?filter=name%3Dclean")
      await page.locator("a.run-link").first().click()
      await page.locator(".why").waitFor()
      expect(await page.locator(".why").textContent()).toMatch(/executed because/)
      await shot("run")
    }),
    60_000
  )

  it(
    "sweep: choose a transform, see params against a metric, click through to a run",
    step_("sweep", async () => {
      await open("/sweep")
      const select = page.locator("select.transform-select")
      await select.waitFor()
      const value = await select.locator("option", { hasText: ":train " }).getAttribute("value")
      await select.selectOption(value!)
      await page.locator("svg.parallel path.line").first().waitFor()
      expect(await page.locator("svg.parallel path.line").count()).toBe(6)
      expect(await page.locator("table.sweep-table tbody tr").count()).toBe(6)
      expect(await page.locator("select.metric-select").inputValue()).toBe("mse")
      await shot("sweep")
      const best = await page.locator("table.sweep-table tbody tr").first().locator("a.run-link").textContent()
      await page.locator(`svg.parallel path.line[data-run="${best}"]`).dispatchEvent("click")
      await page.waitForURL(new RegExp(`/runs/${best}$`))
      await page.locator("h1.run-title").waitFor()
    }),
    60_000
  )

  it(
    "live: a flow started elsewhere appears while it runs and updates when it finishes",
    step_("live", async () => {
      await open("/runs")
      await page.locator("table.runs tbody tr").first().waitFor()
      const gate = await i.run(Deferred.make<void>())
      const waiting = step("wait-for-gate", (label: string) => Effect.as(Deferred.await(gate), label))
      const job = flow("live-job", () => waiting("go"))
      const running = i.run(job())
      const row = page.locator("table.runs tbody tr", { hasText: "wait-for-gate" })
      await expect.poll(() => row.locator(".status").textContent(), { timeout: 20_000 }).toBe("started")
      await i.run(Deferred.succeed(gate, undefined))
      await running
      await expect.poll(() => row.locator(".status").textContent(), { timeout: 20_000 }).toBe("completed")
    }),
    60_000
  )

  it(
    "an artifact keyed with an XSS payload shows as text and runs nothing",
    step_("xss", async () => {
      await open(`/artifacts?q=${encodeURIComponent("img src")}`)
      await page.locator("a.artifact-link", { hasText: XSS }).waitFor()
      await open(`/artifacts/${seeded.xss.uid}`)
      await page.locator("h1.artifact-title").waitFor()
      expect(await page.locator("h1.artifact-title").textContent()).toBe(XSS)
      await page.locator(".text-preview").waitFor()
      await open(`/lineage?target=${seeded.xss.uid}`)
      await page.locator("svg.lineage-graph g.node").first().waitFor()
      await page.waitForTimeout(300)
      expect(await page.locator('img[src="x"]').count()).toBe(0)
      expect(dialogs).toEqual([])
      expect(pageErrors).toEqual([])
      expect(offsite).toEqual([])
    }),
    60_000
  )
})
