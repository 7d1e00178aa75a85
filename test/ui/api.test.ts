/**
 * The UI's JSON API against SQLite and Postgres: listing with keyset pages in every sort (no
 * record lost or repeated, NULL keys included), search and filters in the CLI's language, an
 * artifact's and a run's pages, previews and downloads, lineage both ways, the sweep table,
 * the change stamp, and the guards: read-only, Host check, token, no path outside storage.
 */
import { request } from "node:http"
import { afterAll, beforeAll, expect, it } from "vitest"
import type { Annotations, ArtifactDetail, ArtifactItem, Changes, GraphJson, Page, Preview, RunDetail, RunPage, SweepJson, TransformItem } from "../../src/ui/api/types.js"
import { isLoopback } from "../../src/ui/security.js"
import { describeBackends, type TestInstance } from "../support/backends.js"
import { PNG, saveFile, seedUi, XSS, type Seeded } from "./seed.js"
import { getJson, okJson, serveUi, type TestUi } from "./server.js"

/** Every page of a listing, following `next`. */
const allPages = async (base: string, path: string): Promise<ReadonlyArray<ArtifactItem>> => {
  const out: Array<ArtifactItem> = []
  let after: string | null = null
  for (let n = 0; n < 100; n++) {
    const page: Page<ArtifactItem> = await okJson(base, `${path}${path.includes("?") ? "&" : "?"}limit=3${after === null ? "" : `&after=${after}`}`)
    out.push(...page.items)
    if (page.next === null) return out
    after = page.next
  }
  throw new Error("pagination did not end")
}

/** A raw request, so paths are sent exactly as written (no URL normalisation). */
const rawGet = (port: number, path: string, headers: Record<string, string> = {}, method = "GET"): Promise<{ readonly status: number; readonly body: string }> =>
  new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, method, headers: { host: `127.0.0.1:${port}`, ...headers } }, (res) => {
      let body = ""
      res.setEncoding("utf8").on("data", (d: string) => (body += d))
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on("error", reject)
    req.end()
  })

describeBackends("ui api", ({ instance }) => {
  let i: TestInstance
  let ui: TestUi
  let seeded: Seeded
  beforeAll(async () => {
    i = await instance()
    seeded = await i.run(seedUi(i.dir))
    ui = await serveUi(i)
  })
  afterAll(async () => {
    await ui?.stop()
  })

  it("lists artifacts newest first, latest versions only, and pages by keyset in every sort", async () => {
    const first = await okJson<Page<ArtifactItem>>(ui.base, "/api/artifacts?limit=5")
    expect(first.items).toHaveLength(5)
    expect(first.items[0]!.uid).toBe(seeded.adata.uid)
    expect(first.next).not.toBeNull()
    const everything = await allPages(ui.base, "/api/artifacts?sort=id")
    const uids = everything.map((a) => a.uid)
    expect(new Set(uids).size).toBe(uids.length)
    expect(uids).toContain(seeded.xss.uid)
    for (const sort of ["-id", "key", "-key", "size", "-size", "created_at", "-created_at", "suffix"]) {
      const paged = await allPages(ui.base, `/api/artifacts?sort=${sort}`)
      expect(paged.map((a) => a.uid).sort(), sort).toEqual([...uids].sort())
      const field = sort.replace("-", "") as keyof ArtifactItem
      const values = paged.map((a) => a[field] as string | number | null)
      // NULLs sort as the smallest value, ties by id
      const cmp = (x: string | number | null, y: string | number | null) => (x === y ? 0 : x === null ? -1 : y === null ? 1 : x < y ? -1 : 1)
      for (let k = 1; k < values.length; k++) expect(cmp(values[k - 1]!, values[k]!) * (sort.startsWith("-") ? -1 : 1), `${sort} at ${k}`).toBeLessThanOrEqual(0)
    }
    const keys = everything.map((a) => a.key)
    expect(keys).toContain(null)
  })

  it("filters in the CLI's language and searches with ranking", async () => {
    const raw = await okJson<Page<ArtifactItem>>(ui.base, `/api/artifacts?filter=${encodeURIComponent("key__startswith=raw/")}`)
    expect(raw.items.map((a) => a.key).sort()).toEqual(["raw/east.csv", "raw/north.csv", "raw/south.csv"])
    const big = await okJson<Page<ArtifactItem>>(ui.base, `/api/artifacts?filter=${encodeURIComponent("suffix=.csv")}&filter=${encodeURIComponent("size__gt=300")}`)
    expect(big.items.length).toBeGreaterThan(0)
    expect(big.items.every((a) => a.suffix === ".csv" && (a.size ?? 0) > 300)).toBe(true)
    const byRun = await okJson<Page<ArtifactItem>>(ui.base, `/api/artifacts?filter=${encodeURIComponent("run__transform__key__endswith=:clean")}`)
    expect(byRun.items.map((a) => a.key).sort()).toEqual(["clean/east.csv", "clean/north.csv", "clean/south.csv"])
    const found = await okJson<Page<ArtifactItem>>(ui.base, "/api/artifacts?q=plate")
    expect(found.items[0]!.key).toBe("reports/plates.md")
    const bad = await getJson<{ error: { message: string } }>(ui.base, `/api/artifacts?filter=${encodeURIComponent("siz__gt=3")}`)
    expect(bad.status).toBe(400)
    expect(bad.body.error.message).toMatch(/siz/)
    const badSort = await getJson<{ error: { message: string } }>(ui.base, "/api/artifacts?sort=hash")
    expect(badSort.status).toBe(400)
    const badCursor = await getJson(ui.base, "/api/artifacts?after=notacursor")
    expect(badCursor.status).toBe(400)
    const search = await okJson<{ artifacts: ReadonlyArray<ArtifactItem>; transforms: ReadonlyArray<TransformItem> }>(ui.base, "/api/search?q=clean")
    expect(search.artifacts.length).toBeGreaterThan(0)
    const fields = await okJson<{ fields: ReadonlyArray<{ name: string }> }>(ui.base, "/api/filters?registry=run")
    expect(fields.fields.map((f) => f.name)).toEqual(expect.arrayContaining(["params", "started_at", "transform", "input_artifacts"]))
  })

  it("shows an artifact: fields, versions, creating and using runs; previews; downloads", async () => {
    const cleaned = await okJson<Page<ArtifactItem>>(ui.base, `/api/artifacts?filter=${encodeURIComponent("key=clean/north.csv")}`)
    const uid = cleaned.items[0]!.uid
    const detail = await okJson<ArtifactDetail>(ui.base, `/api/artifacts/${uid}`)
    expect(detail.artifact.key).toBe("clean/north.csv")
    expect(detail.createdBy?.name).toBe("clean")
    expect(detail.createdBy?.params).toEqual({ input: `Artifact[${seeded.raw[0]!.uid}]`, minValue: 5 })
    expect(detail.usedBy.map((r) => r.name)).toEqual(["report"])
    expect(detail.versions.map((v) => v.uid)).toEqual([uid])
    const table = await okJson<Preview>(ui.base, `/api/artifacts/${uid}/preview`)
    expect(table.kind).toBe("table")
    if (table.kind === "table") {
      expect(table.columns.map((c) => c.name)).toEqual(["sample", "value", "flag"])
      expect(table.rows[0]).toEqual(["north-1", 7, "no"])
    }
    const md = await okJson<Preview>(ui.base, `/api/artifacts/${seeded.report.uid}/preview`)
    expect(md).toMatchObject({ kind: "markdown" })
    const txt = await okJson<Preview>(ui.base, `/api/artifacts/${seeded.text.uid}/preview`)
    expect(txt).toEqual({ kind: "text", text: "line one\nline two\n", truncated: false })
    const img = await okJson<Preview>(ui.base, `/api/artifacts/${seeded.image.uid}/preview`)
    expect(img).toEqual({ kind: "image", url: `/api/artifacts/${seeded.image.uid}/download?inline=1` })
    const bin = await okJson<Preview>(ui.base, `/api/artifacts/${seeded.keyless.uid}/preview`)
    expect(bin.kind).toBe("none")
    const dl = await fetch(`${ui.base}/api/artifacts/${seeded.image.uid}/download?inline=1`)
    expect(dl.status).toBe(200)
    expect(dl.headers.get("content-type")).toBe("image/png")
    expect(Buffer.from(await dl.arrayBuffer()).equals(PNG)).toBe(true)
    const attachment = await fetch(`${ui.base}/api/artifacts/${seeded.xss.uid}/download`)
    expect(attachment.headers.get("content-type")).toBe("application/octet-stream")
    expect(attachment.headers.get("content-disposition")).toMatch(/^attachment; filename="[A-Za-z0-9._-]+"$/)
    expect(await attachment.text()).toBe(`${XSS}\n`)
    const cells = await okJson<Preview>(ui.base, `/api/artifacts/${seeded.adata.uid}/preview`)
    expect(cells).toMatchObject({ kind: "anndata", shape: [3, 2], X: "dense float32" })
    if (cells.kind === "anndata") expect(cells.obs.map((c) => c.name)).toEqual(["cell_type"])
    const missing = await getJson(ui.base, "/api/artifacts/AAAAAAAAAAAAAAAAAAAA")
    expect(missing.status).toBe(404)
  })

  it("versions: a new version shows in the timeline and moves latest", async () => {
    const v2 = await i.run(saveFile(i.dir, "notes2.txt", "line one\nline two\nline three\n", { key: "notes/readme.txt" }))
    const detail = await okJson<ArtifactDetail>(ui.base, `/api/artifacts/${v2.uid}`)
    expect(detail.versions.map((v) => v.uid)).toEqual([seeded.text.uid, v2.uid])
    expect(detail.versions.map((v) => v.is_latest)).toEqual([false, true])
    const latestOnly = await okJson<Page<ArtifactItem>>(ui.base, `/api/artifacts?filter=${encodeURIComponent("key=notes/readme.txt")}`)
    expect(latestOnly.items.map((a) => a.uid)).toEqual([v2.uid])
    const all = await okJson<Page<ArtifactItem>>(ui.base, `/api/artifacts?versions=all&filter=${encodeURIComponent("key=notes/readme.txt")}`)
    expect(all.items).toHaveLength(2)
  })

  it("lists runs with params and filters by params__…; a run's page has inputs, outputs, why", async () => {
    const page = await okJson<RunPage>(ui.base, `/api/runs?filter=${encodeURIComponent("params__learning_rate=0.01")}`)
    expect(page.items.map((r) => r.name).sort()).toEqual(["score", "score", "train", "train"])
    expect(page.paramKeys).toEqual(expect.arrayContaining(["learning_rate", "epochs"]))
    const train = await okJson<RunPage>(ui.base, `/api/runs?filter=${encodeURIComponent("params__epochs__gt=20")}&filter=${encodeURIComponent("transform__key__endswith=:train")}`)
    expect(train.items).toHaveLength(3)
    expect(train.items.every((r) => r.status === "completed" && r.duration_ms !== null && r.transform?.key?.endsWith(":train"))).toBe(true)
    const clean = await okJson<RunPage>(ui.base, `/api/runs?filter=${encodeURIComponent("name=clean")}&sort=id`)
    // The clean steps run two at a time, so run ids need not follow the keys' order: pair by output.
    const details = await Promise.all(clean.items.map((r) => okJson<RunDetail>(ui.base, `/api/runs/${r.uid}`)))
    const run = details.find((d) => d.outputs.some((a) => a.key === "clean/north.csv"))!
    expect(run.inputs.map((a) => a.key)).toEqual(["raw/north.csv"])
    expect(run.outputs.map((a) => a.key)).toEqual(["clean/north.csv"])
    // Only the clean run with the lowest id has no earlier run of its step; any other is
    // compared with an earlier sibling whose input differs.
    expect(run.why?.outcome).toBe(run.run.uid === clean.items[0]!.uid ? "first-run" : "changed")
    expect(run.run.initiated_by_run).not.toBeNull()
    const parent = await okJson<RunDetail>(ui.base, `/api/runs/${run.run.initiated_by_run}`)
    expect(parent.children.map((r) => r.name).sort()).toEqual(["clean", "clean", "clean", "report"])
    expect(parent.result).toEqual({ $lamina: "Artifact", uid: seeded.report.uid })
    const why = await okJson<{ outcome: string }>(ui.base, `/api/runs/${clean.items[0]!.uid}/why`)
    expect(why.outcome).toBe("first-run")
    const pages: Array<string> = []
    let after: string | null = null
    do {
      const p: RunPage = await okJson(ui.base, `/api/runs?limit=4${after === null ? "" : `&after=${after}`}`)
      pages.push(...p.items.map((r) => r.uid))
      after = p.next
    } while (after !== null)
    expect(new Set(pages).size).toBe(pages.length)
    expect(pages.length).toBeGreaterThanOrEqual(17)
  })

  it("offers features and labels for the pickers; their filters narrow artifacts like the CLI's", async () => {
    const a = await okJson<Annotations>(ui.base, "/api/annotations")
    expect(a.features.map((f) => f.name)).toEqual(["region", "temperature"])
    expect(a.features[1]).toEqual({ name: "temperature", dtype: "float", unit: "°C", lookups: ["exact", "gt", "gte", "lt", "lte", "isnull"], values: [] })
    expect(a.features[0]!.lookups).toEqual(["exact", "in", "isnull"])
    expect(a.features[0]!.values).toEqual(["east", "north", "qc-passed", "south"])
    // types are no values: "Region" is not offered
    expect(a.labels).toEqual(["east", "north", "qc-passed", "south"].map((name) => ({ name, registry: "ULabel", filter: "ulabels__name" })))
    expect(a.truncated).toBe(false)
    const keys = async (...filters: ReadonlyArray<string>) =>
      (await okJson<Page<ArtifactItem>>(ui.base, `/api/artifacts?${filters.map((f) => `filter=${encodeURIComponent(f)}`).join("&")}`)).items.map((x) => x.key).sort()
    expect(await keys("temperature__gt=20")).toEqual(["raw/east.csv", "raw/south.csv"])
    // typed comparison: 37 is not < 5
    expect(await keys("temperature__lt=5")).toEqual(["raw/north.csv"])
    expect(await keys("region=north")).toEqual(["raw/north.csv"])
    expect(await keys('ulabels__name="qc-passed"')).toEqual(["raw/north.csv", "raw/south.csv"])
    expect(await keys("temperature__gt=10", 'ulabels__name="qc-passed"')).toEqual(["raw/south.csv"])
    const unknown = await getJson<{ error: { tag: string; message: string } }>(ui.base, `/api/artifacts?filter=${encodeURIComponent("temprature__gt=1")}`)
    expect(unknown.status).toBe(400)
    expect(unknown.body.error.message).toContain("Or fix invalid feature names")
    const missing = await getJson<{ error: { tag: string } }>(ui.base, `/api/artifacts?filter=${encodeURIComponent("region=west")}`)
    expect(missing.body.error.tag).toBe("DoesNotExist")
  })

  it("draws a collection between its members and the run that read it", async () => {
    const east = seeded.raw[2]!
    const c = `collection:${seeded.bundle.uid}`
    const down = await okJson<GraphJson>(ui.base, `/api/lineage?target=${east.uid}&direction=down`)
    expect(down.nodes).toContainEqual({ id: c, kind: "collection", uid: seeded.bundle.uid, label: "plates/bundle" })
    expect(down.edges).toContainEqual({ from: `artifact:${east.uid}`, to: c })
    const reader = down.nodes.find((n) => n.kind === "run" && n.label === "bundle-count")!
    expect(down.edges).toContainEqual({ from: c, to: reader.id })
    expect(down.edges).not.toContainEqual({ from: `artifact:${east.uid}`, to: reader.id })
    const up = await okJson<GraphJson>(ui.base, `/api/lineage?target=${reader.uid}&direction=up`)
    expect(up.edges).toEqual(expect.arrayContaining([{ from: `artifact:${seeded.raw[1]!.uid}`, to: c }, { from: c, to: reader.id }]))
    const members = await okJson<Page<ArtifactItem>>(ui.base, `/api/artifacts?versions=all&filter=${encodeURIComponent(`collections__uid=${seeded.bundle.uid}`)}`)
    expect(members.items.map((x) => x.key).sort()).toEqual(["raw/east.csv", "raw/south.csv"])
  })

  it("draws lineage upstream and downstream", async () => {
    const raw = seeded.raw[0]!
    const down = await okJson<GraphJson>(ui.base, `/api/lineage?target=${raw.uid}&direction=down`)
    const labels = down.nodes.map((n) => `${n.kind}:${n.label}`)
    expect(labels).toEqual(expect.arrayContaining([`artifact:raw/north.csv`, "run:clean", "artifact:clean/north.csv", "run:report", "artifact:reports/plates.md"]))
    expect(down.edges).toContainEqual({ from: `artifact:${raw.uid}`, to: expect.stringMatching(/^run:/) })
    const up = await okJson<GraphJson>(ui.base, `/api/lineage?target=reports/plates.md&direction=up`)
    expect(up.root).toBe(`artifact:${seeded.report.uid}`)
    expect(up.nodes.filter((n) => n.kind === "artifact").map((n) => n.label).sort()).toEqual([
      "clean/east.csv", "clean/north.csv", "clean/south.csv", "raw/east.csv", "raw/north.csv", "raw/south.csv", "reports/plates.md"
    ])
    const both = await okJson<GraphJson>(ui.base, `/api/lineage?target=clean/south.csv`)
    expect(both.nodes.map((n) => n.label)).toEqual(expect.arrayContaining(["raw/south.csv", "reports/plates.md"]))
    const bad = await getJson(ui.base, "/api/lineage?target=no/such/key")
    expect(bad.status).toBe(404)
  })

  it("compares a sweep: params against numeric results", async () => {
    const transforms = await okJson<{ items: ReadonlyArray<TransformItem> }>(ui.base, "/api/transforms")
    const train = transforms.items.find((t) => t.key?.endsWith(":train"))!
    const sweep = await okJson<SweepJson>(ui.base, `/api/sweep?transform=${train.uid}`)
    expect(sweep.params).toEqual(["epochs", "learning_rate"])
    expect(sweep.metrics).toEqual(["mse", "r2"])
    expect(sweep.runs).toHaveLength(6)
    const best = [...sweep.runs].sort((a, b) => a.metrics.mse! - b.metrics.mse!)[0]!
    expect(best.params).toEqual({ learning_rate: 0.01, epochs: 50 })
  })

  it("the change stamp moves when something is saved", async () => {
    const before = await okJson<Changes>(ui.base, "/api/changes")
    await i.run(saveFile(i.dir, "more.txt", `more ${Date.now()}`, { key: "notes/more.txt" }))
    const after = await okJson<Changes>(ui.base, "/api/changes")
    expect(after.artifacts).toBeGreaterThan(before.artifacts)
    expect(after.stamp).not.toBe(before.stamp)
    expect(after.running).toBe(0)
  })

  it("is read-only, checks the Host header, and serves nothing outside storage and the app", async () => {
    for (const method of ["POST", "PUT", "DELETE", "PATCH"]) expect((await rawGet(ui.port, "/api/artifacts", {}, method)).status, method).toBe(405)
    expect((await rawGet(ui.port, "/api/info", { host: `attacker.example:${ui.port}` })).status).toBe(421)
    expect((await rawGet(ui.port, "/api/info", { host: `localhost:${ui.port}` })).status).toBe(200)
    const attempts = [
      "/api/artifacts/..%2F..%2F..%2Fetc%2Fpasswd/download",
      "/api/artifacts/../../../etc/passwd/download",
      "/api/artifacts/%2e%2e%2f%2e%2e%2fetc%2fpasswd/preview",
      "/assets/..%2F..%2F..%2Fpackage.json",
      "/assets/../../package.json",
      "/assets/%2e%2e/%2e%2e/src/index.ts",
      "/../../../../etc/passwd",
      "/api/artifacts/" + seeded.text.uid + "/download/../../../../../etc/passwd"
    ]
    for (const path of attempts) {
      const r = await rawGet(ui.port, path)
      expect(r.body, path).not.toMatch(/root:x:0:0|"name": "lamina"|export \* from/)
      expect([200, 400, 404], path).toContain(r.status)
      // a 200 is the app's own index page (client-side routes), never a file's content
      if (r.status === 200) expect(r.body, path).toMatch(/^<!doctype html>/)
    }
    const page = await rawGet(ui.port, "/artifacts")
    expect(page.body).toMatch(/<script type="module" src="\/assets\/app.js"><\/script>/)
    const res = await fetch(`${ui.base}/api/info`)
    expect(res.headers.get("content-security-policy")).toMatch(/default-src 'self'/)
    expect(res.headers.get("x-content-type-options")).toBe("nosniff")
  })

  it("requires the token on every request when one is set", async () => {
    const guarded = await serveUi(i, { token: "s3cret-token-for-tests" })
    try {
      expect((await rawGet(guarded.port, "/api/info")).status).toBe(401)
      expect((await rawGet(guarded.port, "/")).status).toBe(401)
      expect((await rawGet(guarded.port, "/assets/app.js")).status).toBe(401)
      expect((await rawGet(guarded.port, "/api/info", { "x-lamina-token": "wrong" })).status).toBe(401)
      expect((await rawGet(guarded.port, "/api/info", { "x-lamina-token": "s3cret-token-for-tests" })).status).toBe(200)
      expect((await rawGet(guarded.port, "/api/info", { authorization: "Bearer s3cret-token-for-tests" })).status).toBe(200)
      const visit = await fetch(`${guarded.base}/?token=s3cret-token-for-tests`)
      expect(visit.status).toBe(200)
      const cookie = visit.headers.get("set-cookie")!
      expect(cookie).toMatch(/^lamina_token=s3cret-token-for-tests; Path=\/; HttpOnly; SameSite=Strict/)
      expect((await rawGet(guarded.port, "/api/info", { cookie: cookie.split(";")[0]! })).status).toBe(200)
      expect(guarded.url).toBe(`http://127.0.0.1:${guarded.port}/?token=s3cret-token-for-tests`)
    } finally {
      await guarded.stop()
    }
    expect(isLoopback("127.0.0.1")).toBe(true)
    expect(isLoopback("localhost")).toBe(true)
    expect(isLoopback("0.0.0.0")).toBe(false)
    expect(isLoopback("192.168.1.5")).toBe(false)
  })
})
