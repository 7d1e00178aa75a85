/**
 * S3 transfer benchmark against s3rver on loopback (`node dist/bench/team/s3bench.js`).
 *
 * - Upload of a 1 GiB file: Lamina's save (stream + md5 + per-part Content-MD5 + registry) vs a
 *   plain SDK multipart upload with the same part size and concurrency, alternating, 3 rounds;
 *   target: median ratio ≤ 1.2.
 * - Peak RSS of a process uploading (save) and downloading (cache, verified) a 2 GiB file;
 *   target: < 200 MB each.
 *
 * Every transfer runs in a child process; the server runs here. Temporary files are removed.
 *
 * @module
 */
import { DeleteObjectCommand } from "@aws-sdk/client-s3"
import { execFile } from "node:child_process"
import { randomFillSync } from "node:crypto"
import { mkdtempSync, openSync, closeSync, rmSync, writeSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import { startS3Server } from "./s3server.js"

const MIB = 1024 * 1024
const here = path.dirname(fileURLToPath(import.meta.url))
const child = path.join(here, "s3child.js")

interface ChildResult {
  readonly mode: string
  readonly ms: number
  readonly maxRssMB: number
  readonly uid?: string
}

const run = async (args: ReadonlyArray<string>, env: NodeJS.ProcessEnv = process.env): Promise<ChildResult> => {
  const { stdout } = await promisify(execFile)(process.execPath, [child, ...args], { env, maxBuffer: 1 << 20 })
  return JSON.parse(stdout.trim().split("\n").at(-1)!) as ChildResult
}

/** A file of `size` random bytes (written in 8 MiB chunks). */
const randomFile = (file: string, size: number) => {
  const fd = openSync(file, "w")
  const buf = Buffer.allocUnsafe(8 * MIB)
  for (let left = size; left > 0; left -= buf.length) {
    randomFillSync(buf)
    writeSync(fd, buf, 0, Math.min(left, buf.length))
  }
  closeSync(fd)
}

const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

export const main = async (): Promise<void> => {
  const tmp = mkdtempSync(path.join(process.env.LAMINA_BENCH_TMP ?? os.tmpdir(), "lamina-s3bench-"))
  const server = await startS3Server()
  const env = { ...process.env, LAMINA_HOME: path.join(tmp, "home"), LAMINA_CACHE_DIR: path.join(tmp, "cache") }
  try {
    const bucket = await server.createBucket()
    const root = `s3://${bucket}/bench`
    const db = path.join(tmp, "registry.db")

    const oneGiB = path.join(tmp, "1gib.bin")
    randomFile(oneGiB, 1024 * MIB)
    const rounds = Number(process.env.LAMINA_BENCH_ROUNDS ?? 3)
    const sdk: Array<number> = []
    const lamina: Array<number> = []
    for (let r = 0; r < rounds; r++) {
      const s = await run(["sdk-upload", oneGiB, server.endpoint, bucket, `baseline/${r}.bin`, "8", "4"], env)
      sdk.push(s.ms)
      await server.client.send(new DeleteObjectCommand({ Bucket: bucket, Key: `baseline/${r}.bin` }))
      // Different content each round would be fairer to dedup, but save() of identical content
      // returns the existing artifact without a row: use a fresh registry per round instead.
      const l = await run(["lamina-upload", oneGiB, server.endpoint, `${root}/${r}`, `${db}.${r}`], env)
      lamina.push(l.ms)
      console.log(`round ${r + 1}: sdk ${(s.ms / 1000).toFixed(2)} s, lamina ${(l.ms / 1000).toFixed(2)} s, ratio ${(l.ms / s.ms).toFixed(3)}`)
      rmSync(path.join(server.directory, bucket, "bench", String(r)), { recursive: true, force: true })
    }
    rmSync(oneGiB)
    const ratio = median(lamina) / median(sdk)
    console.log(
      `upload 1 GiB: sdk median ${(median(sdk) / 1000).toFixed(2)} s (${(1024 / (median(sdk) / 1000)).toFixed(0)} MiB/s), ` +
        `lamina median ${(median(lamina) / 1000).toFixed(2)} s, ratio ${ratio.toFixed(3)} (target <= 1.2) ${ratio <= 1.2 ? "OK" : "MISSED"}`
    )

    const twoGiB = path.join(tmp, "2gib.bin")
    randomFile(twoGiB, 2048 * MIB)
    const up = await run(["lamina-upload", twoGiB, server.endpoint, `${root}/big`, `${db}.big`], env)
    rmSync(twoGiB)
    const down = await run(["lamina-download", server.endpoint, `${root}/big`, `${db}.big`, up.uid!], env)
    rmSync(path.join(tmp, "cache"), { recursive: true, force: true })
    console.log(`2 GiB upload: ${(up.ms / 1000).toFixed(2)} s, peak RSS ${up.maxRssMB.toFixed(0)} MB (target < 200) ${up.maxRssMB < 200 ? "OK" : "MISSED"}`)
    console.log(`2 GiB download+verify: ${(down.ms / 1000).toFixed(2)} s, peak RSS ${down.maxRssMB.toFixed(0)} MB (target < 200) ${down.maxRssMB < 200 ? "OK" : "MISSED"}`)
  } finally {
    await server.stop()
    rmSync(tmp, { recursive: true, force: true })
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main()
