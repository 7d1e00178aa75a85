/**
 * A small registry for the UI tests, written through the real lineage engine: a tracked
 * pipeline (raw CSVs → clean → report.md), a 3×2 sweep whose runs return metrics, an image, a
 * text file, an artifact without key, and one keyed with an XSS payload. The raw CSVs carry
 * features (temperature, region) and a label (qc-passed); two of them form a collection that a
 * flow reads.
 */
import { mkdirSync, writeFileSync } from "node:fs"
import * as path from "node:path"
import { deflateSync } from "node:zlib"
import { Effect } from "effect"
import { Dictionary, Int8, Utf8, vectorFromArray } from "apache-arrow"
import { Artifact, Collection, Feature, flow, step, sweep, ULabel } from "../../src/index.js"
import { dataframeTable, DenseArray, makeAnnData } from "../../src/formats/index.js"

/** The XSS payload used as an artifact key and description. */
export const XSS = `<img src=x onerror=alert(1)>`

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  return c >>> 0
})
const crc32 = (b: Buffer): number => {
  let c = 0xffffffff
  for (const x of b) c = crcTable[(c ^ x) & 0xff]! ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}
const chunk = (type: string, data: Buffer): Buffer => {
  const len = Buffer.alloc(4)
  len.writeUInt32BE(data.length)
  const body = Buffer.concat([Buffer.from(type, "ascii"), data])
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(body))
  return Buffer.concat([len, body, crc])
}

/** A `size`×`size` RGB PNG with a diagonal gradient. */
export const makePng = (size: number): Buffer => {
  const header = Buffer.alloc(13)
  header.writeUInt32BE(size, 0)
  header.writeUInt32BE(size, 4)
  header.set([8, 2, 0, 0, 0], 8)
  const raw = Buffer.alloc(size * (size * 3 + 1))
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) raw.set([Math.round((255 * x) / size), 120, Math.round((255 * y) / size)], y * (size * 3 + 1) + 1 + x * 3)
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", header), chunk("IDAT", deflateSync(raw)), chunk("IEND", Buffer.alloc(0))])
}

/** The image the seed saves. */
export const PNG = makePng(48)

/** What the seed made, for assertions. */
export interface Seeded {
  readonly raw: ReadonlyArray<Artifact>
  readonly report: Artifact
  readonly xss: Artifact
  readonly image: Artifact
  readonly text: Artifact
  readonly keyless: Artifact
  readonly adata: Artifact
  readonly shards: ReadonlyArray<Artifact>
  /** raw/south.csv and raw/east.csv, read by the flow "bundle-count". */
  readonly bundle: Collection
}

/** The temperatures of raw/north.csv, raw/south.csv and raw/east.csv. */
export const TEMPERATURES = [4, 21.6, 37] as const

/** Write `content` to a fresh file under `dir` and save it. */
export const saveFile = (dir: string, name: string, content: string | Buffer, options: { readonly key?: string; readonly description?: string }) =>
  Effect.suspend(() => {
    const file = path.join(dir, "files", `${Math.random().toString(36).slice(2)}-${name}`)
    mkdirSync(path.dirname(file), { recursive: true })
    writeFileSync(file, content)
    return Effect.flatMap(Artifact.fromPath(file, options), (p) => p.save())
  })

const text = (a: Artifact) => Effect.map(a.load(), (b) => Buffer.from(b).toString("utf8"))

/** Seed the registry (needs the Lamina services). */
export const seedUi = (dir: string) =>
  Effect.gen(function* () {
    const regions = ["north", "south", "east"]
    const raw: Array<Artifact> = []
    for (const [i, region] of regions.entries()) {
      const rows = Array.from({ length: 30 }, (_, k) => `${region}-${k},${(k * 7 + i * 3) % 23},${k % 2 === 0 ? "yes" : "no"}`)
      raw.push(yield* saveFile(dir, `${region}.csv`, `sample,value,flag\n${rows.join("\n")}\n`, { key: `raw/${region}.csv`, description: `${region} plate reader export` }))
    }
    // Annotations: a float feature, a categorical one, and a plain label on two files.
    yield* Feature.create({ name: "temperature", dtype: "float", unit: "°C" })
    const regionType = yield* ULabel.create({ name: "Region", is_type: true })
    for (const region of regions) yield* ULabel.create({ name: region, type: regionType })
    yield* Feature.create({ name: "region", dtype: "cat[ULabel]" })
    const qc = yield* ULabel.create({ name: "qc-passed" })
    for (const [i, a] of raw.entries()) yield* a.features.add({ temperature: TEMPERATURES[i], region: regions[i] })
    yield* raw[0]!.labels.add(qc)
    yield* raw[1]!.labels.add(qc)
    const clean = step("clean", (input: Artifact, minValue: number) =>
      Effect.gen(function* () {
        const lines = (yield* text(input)).trim().split("\n")
        const kept = [lines[0], ...lines.slice(1).filter((l) => Number(l.split(",")[1]) >= minValue)]
        return yield* saveFile(dir, "clean.csv", kept.join("\n") + "\n", { key: `clean/${path.basename(input.key ?? "x.csv")}`, description: "cleaned export" })
      })
    )
    const report = step("report", (tables: ReadonlyArray<Artifact>) =>
      Effect.gen(function* () {
        const counts: Array<string> = []
        for (const t of tables) counts.push(`| ${t.key} | ${(yield* text(t)).trim().split("\n").length - 1} |`)
        const md = ["# Plate report", "", "Rows kept per region after cleaning.", "", "| table | rows |", "|---|---:|", ...counts, "", "<script>alert('md')</script>", ""].join("\n")
        return yield* saveFile(dir, "report.md", md, { key: "reports/plates.md", description: "plate report" })
      })
    )
    const pipeline = flow("plates", (keys: ReadonlyArray<string>, minValue = 5) =>
      Effect.gen(function* () {
        const cleaned = yield* Effect.forEach(keys, (key) => Effect.flatMap(Artifact.get({ key }), (a) => clean(a, minValue)), { concurrency: 2 })
        return yield* report(cleaned)
      })
    )
    const reportArtifact = yield* pipeline(raw.map((a) => a.key!))
    // A fan-out wider than the lineage view shows at once.
    const shard = step("shard", (input: Artifact, n: number) =>
      Effect.gen(function* () {
        const lines = (yield* text(input)).trim().split("\n")
        return yield* Effect.forEach(Array.from({ length: n }, (_, k) => k), (k) =>
          saveFile(dir, `shard-${k}.csv`, [lines[0], ...lines.slice(1).filter((_, j) => j % n === k)].join("\n") + "\n", { key: `shards/north-${String(k).padStart(2, "0")}.csv` })
        )
      })
    )
    const shards = yield* flow("sharding", (key: string) => Effect.flatMap(Artifact.get({ key }), (a) => shard(a, 12)))("raw/north.csv")
    const score = step("score", (learning_rate: number, epochs: number) =>
      Effect.succeed({ mse: Math.round(1e6 * (Math.abs(Math.log10(learning_rate) + 2) + 10 / epochs)) / 1e6, r2: Math.round(1e4 * (1 - learning_rate / epochs)) / 1e4 })
    )
    const train = flow("train", ({ learning_rate, epochs }: { learning_rate: number; epochs: number }) => score(learning_rate, epochs))
    yield* sweep(train, { learning_rate: [0.001, 0.01, 0.1], epochs: [10, 50] }, { concurrency: 2 })
    const xss = yield* saveFile(dir, "xss.txt", `${XSS}\n`, { key: XSS, description: `desc ${XSS}` })
    const image = yield* saveFile(dir, "pixels.png", PNG, { key: "images/pixels.png", description: "a tiny image" })
    const textArtifact = yield* saveFile(dir, "notes.txt", "line one\nline two\n", { key: "notes/readme.txt" })
    const keyless = yield* saveFile(dir, "blob.bin", Buffer.from([0, 1, 2, 3, 255]), { description: "keyless binary blob" })
    const matrix = yield* makeAnnData({
      X: DenseArray.of(Float32Array.of(1, 2, 3, 4, 5, 6), [3, 2]),
      obs: dataframeTable(["c1", "c2", "c3"], [{ name: "cell_type", vector: vectorFromArray(["B", "T", "B"], new Dictionary(new Utf8(), new Int8())) }])
    })
    const adata = yield* Effect.flatMap(Artifact.fromAnnData(matrix, { key: "cells/pbmc.h5ad", description: "three cells" }), (p) => p.save())
    const bundle = yield* Collection.create([raw[1]!, raw[2]!], { key: "plates/bundle", description: "south and east plates" })
    yield* flow("bundle-count", () => Effect.map(bundle.loadTable(), (t) => t.numRows))()
    return { raw, report: reportArtifact, xss, image, text: textArtifact, keyless, adata, shards, bundle } satisfies Seeded
  })
