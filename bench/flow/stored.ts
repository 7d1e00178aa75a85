/**
 * What checking a cache hit's outputs in storage costs (see bench/flow/README.md, "Outputs
 * checked in storage"; src/registry/artifact/stored.ts). One SQLite registry per storage:
 *
 *   - S3 (s3rver on loopback, in this process): a hit of a step returning a 1 KB artifact it
 *     saved, against a hit of the same step returning a plain value (no output to check); the
 *     difference against one HEAD of the same object through the store (`ObjectStore.stat`),
 *     measured in the same blocks — the baseline; and a hit of a step returning a folder of two
 *     files, against one listing of such a folder (`ObjectStore.list`)
 *   - a local folder: the same two hits (the check is one `stat`)
 *
 * Calls alternate in blocks of 10 so load drift hits all alike. Run:
 * `npx tsc -p tsconfig.json && node dist/bench/flow/stored.js [--steps 300]`.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect, type Layer, ManagedRuntime } from "effect"
import { flow, step } from "../../src/flow/index.js"
import * as Lamina from "../../src/instance/Lamina.js"
import { Artifact } from "../../src/registry/Artifact.js"
import { ObjectStore } from "../../src/storage/ObjectStore.js"
import { startS3Server } from "../team/s3server.js"
import { median, numberArg } from "../util.js"
import { rotatingBlocks } from "./blocks.js"

const args = process.argv.slice(2)
const steps = numberArg(args, "steps", 300)
const ms = (x: number): string => `${x.toFixed(3)} ms`

const dir = mkdtempSync(path.join(os.tmpdir(), "lamina-bench-stored-"))
process.env.LAMINA_HOME ??= path.join(dir, "home")
const s3 = await startS3Server()

type Kind = "saving" | "plain" | "head" | "folder" | "listing"
const KINDS: ReadonlyArray<Kind> = ["saving", "plain", "head", "folder", "listing"]

/** One storage's runtime, steps and timings. */
const setUp = (name: string, layer: Layer.Layer<Lamina.Lamina, unknown>) => {
  const rt = ManagedRuntime.make(layer)
  mkdirSync(path.join(dir, name), { recursive: true })
  // 1 KB of content of its own per call (the same bytes would deduplicate to one artifact).
  const saving = step({ name: "saving" }, (i: number) =>
    Effect.suspend(() => {
      const input = path.join(dir, name, `${i}.txt`)
      writeFileSync(input, String(i).padStart(1024, "x"))
      return Effect.flatMap(Artifact.fromPath(input, { key: `out/${i}.txt` }), (p) => p.save())
    })
  )
  const plain = step({ name: "plain" }, (i: number) => Effect.succeed(i))
  // A folder of two small files of its own per call.
  const folder = step({ name: "folder" }, (i: number) =>
    Effect.suspend(() => {
      const input = path.join(dir, name, `folder-${i}`)
      mkdirSync(input, { recursive: true })
      writeFileSync(path.join(input, "a.txt"), `a${i}`)
      writeFileSync(path.join(input, "b.txt"), `b${i}`)
      return Effect.flatMap(Artifact.fromPath(input, { key: `folders/${i}` }), (p) => p.save())
    })
  )
  const first = flow(`stored-bench-${name}-first`, () => Effect.all([saving(-1), folder(-1)]))
  let headKey = ""
  let folderKey = ""
  const call = (kind: Kind, i: number): Effect.Effect<unknown, unknown, Lamina.Lamina> =>
    kind === "saving"
      ? saving(i)
      : kind === "plain"
        ? plain(i)
        : kind === "folder"
          ? folder(i)
          : Effect.flatMap(ObjectStore, (store) => (kind === "head" ? Effect.asVoid(store.stat(headKey)) : Effect.asVoid(store.list(folderKey))))
  const { times, pass } = rotatingBlocks(rt, `stored-bench-${name}`, KINDS, steps, call)
  return {
    rt,
    /** Executed calls first (their outputs give the HEAD and the listing real objects), then the timed hits. */
    measure: async () => {
      const [file, bundle] = await rt.runPromise(first())
      headKey = file.storageKey
      folderKey = bundle.storageKey
      await pass(times())
      const hit = times()
      await pass(hit)
      return { saving: median(hit.saving), plain: median(hit.plain), head: median(hit.head), folder: median(hit.folder), listing: median(hit.listing) }
    }
  }
}

try {
  const bucket = await s3.createBucket()
  mkdirSync(path.join(dir, "local-storage"), { recursive: true })
  const onS3 = setUp("s3", Lamina.layer({ storage: `s3://${bucket}/lamina`, db: path.join(dir, "s3.db"), s3: { endpoint: s3.endpoint, forcePathStyle: true } }) as Layer.Layer<Lamina.Lamina, unknown>)
  const onDisk = setUp("local", Lamina.layer({ storage: path.join(dir, "local-storage"), db: path.join(dir, "local.db") }) as Layer.Layer<Lamina.Lamina, unknown>)
  try {
    const remote = await onS3.measure()
    const local = await onDisk.measure()
    const added = remote.saving - remote.plain
    const load = os.loadavg()[0]!
    process.stdout.write(
      `outputs checked in storage on a hit (SQLite registry, ${steps} calls per median, node ${process.version}, load average ${load.toFixed(1)})\n` +
        `  S3 (s3rver): hit returning a 1 KB artifact ${ms(remote.saving)} | returning a value ${ms(remote.plain)} | added ${ms(added)} | one HEAD ${ms(remote.head)} | added = ${(added / remote.head).toFixed(2)}x the HEAD\n` +
        `  S3 (s3rver): hit returning a folder of 2 files ${ms(remote.folder)} | added ${ms(remote.folder - remote.plain)} | one listing ${ms(remote.listing)} | added = ${((remote.folder - remote.plain) / remote.listing).toFixed(2)}x the listing\n` +
        `  local folder: hit returning a 1 KB artifact ${ms(local.saving)} | returning a value ${ms(local.plain)} | added ${ms(local.saving - local.plain)} | returning a folder ${ms(local.folder)}\n`
    )
    process.stdout.write(JSON.stringify({ s3: remote, local, addedOverHead: added / remote.head, addedOverListing: (remote.folder - remote.plain) / remote.listing, loadAverage: load }) + "\n")
  } finally {
    await onS3.rt.dispose()
    await onDisk.rt.dispose()
  }
} finally {
  await s3.stop()
  rmSync(dir, { recursive: true, force: true })
}
