/**
 * One measured S3 transfer, run in its own process so its peak RSS is its own (the S3 server
 * runs in the parent). Prints one JSON line: `{ ms, maxRssMB, ... }`.
 *
 * - `sdk-upload FILE ENDPOINT BUCKET KEY PART_MB CONCURRENCY`: the baseline — a plain multipart
 *   upload with the AWS SDK (no hashing, no checksums), same part size and concurrency.
 * - `lamina-upload FILE ENDPOINT ROOT DB`: `Artifact.fromPath(FILE).save()` on S3 storage.
 * - `lamina-download ENDPOINT ROOT DB UID`: `artifact.cache()` into an empty cache (download +
 *   verify).
 *
 * @module
 */
import { CompleteMultipartUploadCommand, CreateMultipartUploadCommand, S3Client, UploadPartCommand } from "@aws-sdk/client-s3"
import { promises as fs } from "node:fs"
import { Effect } from "effect"
import * as Lamina from "../../src/instance/Lamina.js"
import { Artifact } from "../../src/registry/Artifact.js"

const MIB = 1024 * 1024

const sdkUpload = async (file: string, endpoint: string, bucket: string, key: string, partMb: number, concurrency: number) => {
  const client = new S3Client({ endpoint, region: "us-east-1", forcePathStyle: true, requestChecksumCalculation: "WHEN_REQUIRED" })
  const partSize = partMb * MIB
  const fh = await fs.open(file, "r")
  const size = (await fh.stat()).size
  const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }))
  const n = Math.ceil(size / partSize)
  const etags: Array<string> = new Array<string>(n)
  let next = 0
  const uploader = async () => {
    for (;;) {
      const i = next++
      if (i >= n) return
      const length = Math.min(partSize, size - i * partSize)
      const buf = Buffer.allocUnsafe(length)
      await fh.read(buf, 0, length, i * partSize)
      const out = await client.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: i + 1, Body: buf, ContentLength: length }))
      etags[i] = out.ETag!
    }
  }
  await Promise.all(Array.from({ length: concurrency }, uploader))
  await client.send(
    new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId, MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) } })
  )
  await fh.close()
  client.destroy()
  return {}
}

const layer = (endpoint: string, root: string, db: string) => Lamina.layer({ storage: root, db, s3: { endpoint, forcePathStyle: true } })

const laminaUpload = (file: string, endpoint: string, root: string, db: string) =>
  Effect.runPromise(
    Effect.provide(
      Effect.map(
        Effect.flatMap(Artifact.fromPath(file, { key: `bench/${Date.now()}.bin` }), (p) => p.save()),
        (a) => ({ uid: a.uid, hash: a.hash })
      ),
      layer(endpoint, root, db)
    )
  )

const laminaDownload = (endpoint: string, root: string, db: string, uid: string) =>
  Effect.runPromise(
    Effect.provide(
      Effect.flatMap(Artifact.get(uid), (a) => Effect.map(a.cache(), (local) => ({ local }))),
      layer(endpoint, root, db)
    )
  )

const main = async () => {
  const [mode, ...args] = process.argv.slice(2)
  const a = (i: number) => args[i] ?? ""
  const t0 = performance.now()
  const extra: object =
    mode === "sdk-upload"
      ? await sdkUpload(a(0), a(1), a(2), a(3), Number(a(4)), Number(a(5)))
      : mode === "lamina-upload"
        ? await laminaUpload(a(0), a(1), a(2), a(3))
        : mode === "lamina-download"
          ? await laminaDownload(a(0), a(1), a(2), a(3))
          : Promise.reject(new Error(`unknown mode '${mode}'`))
  const ms = performance.now() - t0
  process.stdout.write(JSON.stringify({ mode, ms, maxRssMB: process.resourceUsage().maxRSS / 1024, ...extra }) + "\n")
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`)
    process.exit(1)
  }
)
