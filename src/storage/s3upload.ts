/**
 * Streaming uploads to S3 that hash in the same pass.
 *
 * A file at most one part long goes up in one `PutObject`; a larger one as a multipart upload:
 * one reader fiber reads the file part by part in order, feeding the whole-content md5, and
 * hands each part to a few uploader fibers through a bounded queue. Memory is bounded by the
 * store's buffer permits (parts read but not yet uploaded), whatever the file size. Every part
 * carries its own Content-MD5, so S3 rejects a part damaged in transit (and it is retried).
 * A failed or interrupted multipart upload is aborted: no object and no parts are left behind.
 *
 * @module
 */
import { AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateMultipartUploadCommand, PutObjectCommand, UploadPartCommand } from "@aws-sdk/client-s3"
import { createHash } from "node:crypto"
import { promises as fs } from "node:fs"
import { Effect, Queue } from "effect"
import { StorageError } from "../errors.js"
import { StreamingHash, type ContentHash } from "./hash.js"
import type { S3Api } from "./s3client.js"

/** Upload tuning. */
export interface UploadTuning {
  /** Part size of multipart uploads (and the single-request threshold). Default 8 MiB. */
  readonly partSize: number
  /** Parts uploaded at the same time per file. Default 4. */
  readonly concurrency: number
  /** Buffers of `partSize` the whole store may hold at once (bounds memory). */
  readonly permits: Effect.Semaphore
}

const MIB = 1024 * 1024
/** S3's limits: at most 10 000 parts, each at least 5 MiB (but the last). */
const MAX_PARTS = 10_000

/** The part size for a file: the configured one, grown so the file fits in 10 000 parts. */
export const partSizeFor = (size: number, configured: number): number => {
  const needed = Math.ceil(size / MAX_PARTS)
  return Math.max(configured, Math.ceil(needed / MIB) * MIB, 5 * MIB)
}

const md5b64 = (bytes: Uint8Array) => createHash("md5").update(bytes).digest("base64")

const readFail = (file: string) => (cause: unknown) =>
  new StorageError({
    message: `Reading '${file}' for upload failed: ${cause instanceof Error ? cause.message : String(cause)}. Check that the file exists and is readable.`,
    path: file,
    cause
  })

/** Read up to `length` bytes at `position` into a fresh buffer (short only at end of file). */
const readAt = (fh: fs.FileHandle, length: number, position: number) =>
  Effect.promise(async () => {
    const buf = Buffer.allocUnsafe(length)
    let off = 0
    while (off < length) {
      const { bytesRead } = await fh.read(buf, off, length - off, position + off)
      if (bytesRead === 0) break
      off += bytesRead
    }
    return off === length ? buf : buf.subarray(0, off)
  })

/** Upload bytes in one request. */
export const putBytes = (api: S3Api, objectKey: string, uri: string, bytes: Uint8Array): Effect.Effect<void, StorageError> =>
  Effect.asVoid(
    api.call(
      "Uploading",
      uri,
      (signal) =>
        api.client.send(
          new PutObjectCommand({ Bucket: api.location.bucket, Key: objectKey, Body: bytes, ContentLength: bytes.byteLength, ContentMD5: md5b64(bytes) }),
          { abortSignal: signal }
        ),
      { notFound: "NoSuchBucket" }
    )
  )

/** Upload a local file to `objectKey`, returning its whole-content md5 hash. */
export const uploadFile = (
  api: S3Api,
  localPath: string,
  objectKey: string,
  uri: string,
  tuning: UploadTuning
): Effect.Effect<ContentHash, StorageError> =>
  Effect.acquireUseRelease(
    Effect.tryPromise({ try: () => fs.open(localPath, "r"), catch: readFail(localPath) }),
    (fh) =>
      Effect.gen(function* () {
        const size = (yield* Effect.tryPromise({ try: () => fh.stat(), catch: readFail(localPath) })).size
        if (size <= tuning.partSize) {
          // One request: the whole file is one buffer (at most a part), hashed before sending.
          return yield* tuning.permits.withPermits(1)(
            Effect.gen(function* () {
              const bytes = yield* readAt(fh, size, 0)
              if (bytes.byteLength !== size) return yield* readFail(localPath)(new Error("the file changed size while it was read"))
              yield* putBytes(api, objectKey, uri, bytes)
              const h = new StreamingHash()
              h.update(bytes)
              return h.digest()
            })
          )
        }
        return yield* multipart(api, fh, localPath, size, objectKey, uri, tuning)
      }),
    (fh) => Effect.promise(() => fh.close())
  )

interface Part {
  readonly n: number
  readonly bytes: Buffer
}

const multipart = (api: S3Api, fh: fs.FileHandle, localPath: string, size: number, objectKey: string, uri: string, tuning: UploadTuning) =>
  Effect.gen(function* () {
    const { bucket } = api.location
    const partSize = partSizeFor(size, tuning.partSize)
    const nParts = Math.ceil(size / partSize)
    const created = yield* api.call(
      "Starting the upload of",
      uri,
      (signal) => api.client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: objectKey }), { abortSignal: signal }),
      { notFound: "NoSuchBucket" }
    )
    const uploadId = created.UploadId
    if (uploadId === undefined) return yield* new StorageError({ message: `S3 returned no upload id for '${uri}': the server is not S3-compatible.`, path: uri })

    const upload = Effect.gen(function* () {
      const hash = new StreamingHash()
      const etags: Array<string> = new Array<string>(nParts)
      // Capacity 1: the reader stays at most one part ahead of the uploaders.
      const queue = yield* Queue.bounded<Part | undefined>(1)
      // Permits taken for parts not yet uploaded; whatever is left on failure is given back.
      let held = 0
      const take = Effect.uninterruptibleMask((restore) => Effect.tap(restore(tuning.permits.take(1)), () => void held++))
      const release = Effect.suspend(() => {
        held--
        return tuning.permits.release(1)
      })
      const reader = Effect.gen(function* () {
        for (let n = 1; n <= nParts; n++) {
          yield* take
          const length = Math.min(partSize, size - (n - 1) * partSize)
          const bytes = yield* readAt(fh, length, (n - 1) * partSize)
          if (bytes.byteLength !== length)
            return yield* readFail(localPath)(new Error("the file changed size while it was uploaded"))
          hash.update(bytes)
          yield* Queue.offer(queue, { n, bytes })
        }
        for (let i = 0; i < tuning.concurrency; i++) yield* Queue.offer(queue, undefined)
      })
      const uploader = Effect.gen(function* () {
        for (;;) {
          const part = yield* Queue.take(queue)
          if (part === undefined) return
          const out = yield* api
            .call(`Uploading part ${part.n}/${nParts} of`, uri, (signal) =>
              api.client.send(
                new UploadPartCommand({
                  Bucket: bucket,
                  Key: objectKey,
                  UploadId: uploadId,
                  PartNumber: part.n,
                  Body: part.bytes,
                  ContentLength: part.bytes.byteLength,
                  ContentMD5: md5b64(part.bytes)
                }),
                { abortSignal: signal }
              )
            )
            .pipe(Effect.ensuring(release))
          if (out.ETag === undefined) return yield* new StorageError({ message: `S3 returned no ETag for part ${part.n} of '${uri}'.`, path: uri })
          etags[part.n - 1] = out.ETag
        }
      })
      yield* Effect.all([reader, ...Array.from({ length: tuning.concurrency }, () => uploader)], { concurrency: "unbounded", discard: true }).pipe(
        Effect.ensuring(Effect.suspend(() => (held > 0 ? tuning.permits.release(held) : Effect.void)))
      )
      yield* api.call("Finishing the upload of", uri, (signal) =>
        api.client.send(
          new CompleteMultipartUploadCommand({
            Bucket: bucket,
            Key: objectKey,
            UploadId: uploadId,
            MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) }
          }),
          { abortSignal: signal }
        )
      )
      return hash.digest()
    })

    return yield* upload.pipe(
      Effect.onExit((exit) =>
        exit._tag === "Success"
          ? Effect.void
          : Effect.ignore(
              api.call("Aborting the upload of", uri, (signal) =>
                api.client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: objectKey, UploadId: uploadId }), { abortSignal: signal })
              )
            )
      )
    )
  })
