/**
 * A scripted tour on the embedded defaults (SQLite + a local folder): save, version, query,
 * describe. Run with `npm run demo`.
 */
import { mkdirSync, writeFileSync } from "node:fs"
import * as path from "node:path"
import { Effect } from "effect"
import { Artifact, Lamina } from "../src/index.js"

const root = path.resolve(process.env.LAMINA_DEMO_DIR ?? ".lamina-demo")
const inputs = path.join(root, "inputs")

const program = Effect.gen(function* () {
  mkdirSync(inputs, { recursive: true })
  const csv = path.join(inputs, "measurements.csv")
  writeFileSync(csv, "sample,value\ns1,0.5\ns2,0.7\n")
  const v1 = yield* (yield* Artifact.fromPath(csv, { key: "raw/measurements.csv", description: "plate reader export" })).save()
  console.log(`saved     ${v1.uid}  ${v1.key}  v${v1.version}  hash ${v1.hash}`)

  writeFileSync(csv, "sample,value\ns1,0.5\ns2,0.7\ns3,0.9\n")
  const v2 = yield* (yield* Artifact.fromPath(csv, { key: "raw/measurements.csv" })).save()
  console.log(`new version ${v2.uid}  v${v2.version} (same stem ${v2.stem})`)

  const again = yield* (yield* Artifact.fromPath(csv, { key: "raw/measurements.csv" })).save()
  console.log(`same content → same artifact: ${again.uid === v2.uid}`)

  const raw = yield* Artifact.filter({ key__startswith: "raw/" }).toArray()
  console.log(`query key__startswith "raw/": ${raw.map((a) => `${a.key}@${a.version}`).join(", ")}`)
  const versions = yield* v2.versions
  console.log(`versions: ${versions.map((a) => `${a.version}${a.is_latest ? " (latest)" : ""}`).join(", ")}`)
  console.log(`content of the latest version:\n${new TextDecoder().decode(yield* v2.load())}`)
})

Effect.runPromise(Effect.provide(program, Lamina.layer({ storage: path.join(root, "storage") }))).catch((e: unknown) => {
  console.error(e)
  process.exitCode = 1
})
