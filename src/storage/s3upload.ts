/**
 * Streaming uploads to S3 that hash in the same pass.
 *
 * A file at most one part long goes up in one `PutObject` (with its Content-MD5, the same
 * digest that becomes its hash); a larger one as a multipart upload: one reader fiber reads the
 * file part by part in order, feeding the whole-content md5, and hands each part to a few
 * uploader fibers through a bounded queue. Part buffers come from the store's `BufferPool`, so
 * memory stays bounded whatever the file size. Every part carries a CRC32 checksum (native,
 * nearly free next to md5), so S3 rejects a part damaged in transit (and it is retried).
 * A failed or interrupted multipart upload is aborted: no object and no parts are left behind.
 *
 * @module
 */
import { AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateMultipartUploadCommand, PutObjectCommand, UploadPartCommand } from "@aws-sdk/client-s3"
import { createHash } from "node:crypto"
import { promises as fs } from "node:fs"
import { crc32 } from "node:zlib"
import { Effect, Queue } from "effect"
import { StorageError } from "../errors.js"
import type { BufferPool } from "./bufferpool.js"
import { HASH_LENGTH, StreamingHash, type ContentHash } from "./hash.js"
import type { S3Api } from "./s3client.js"

/** Upload tuning. */
export interface UploadTuning {
  /** Part size of multipart uploads (and the single-request threshold). */
  readonly partSize: number
  /** Parts uploaded at the same time per file. */
  readonly concurrency: number
  /** The store's part buffers (bounds memory across all uploads). */
  readonly buffers: BufferPool
}

const MIB = 1024 * 1024
/** S3's limits: at most 10 000 parts, each at least 5 MiB (but the last). */
const MAX_PARTS = 10_000

/** The part size for a file: the configured one, grown so the file fits in 10 000 parts. */
export const partSizeFor = (size: number, configured: number): number => {
  const needed = Math.ceil(size / MAX_PARTS)
  return Math.max(configured, Math.ceil(needed / MIB) * MIB, 5 * MIB)
}

/** `x-amz-checksum-crc32`: the big-endian CRC32, base64. */
const crc32b64 = (bytes: Uint8Array): string => {
  const b = Buffer.allocUnsafe(4)
  b.writeUInt32BE(crc32(bytes) >>> 0)
  return b.toString("base64")
}

const readFail = (file: string) => (cause: unknown) =>
  new StorageError({
    message: `Reading '${file}' for upload failed: ${cause instanceof Error ? cause.message : String(cause)}. Check that the file exists and is readable.`,
    path: file,
    cause
  })

/** Fill `buf[0, length)` from `position` (short only at end of file); returns the filled view. */
const readInto = (fh: fs.FileHandle, buf: Buffer, length: number, position: number, file: string) =>
  Effect.tryPromise({
    try: async () => {
      let off = 0
      while (off < length) {
        const { bytesRead } = await fh.read(buf, off, length - off, position + off)
        if (bytesRead === 0) break
        off += bytesRead
      }
      return buf.subarray(0, off)
    },
    catch: readFail(file)
  })

/** Upload bytes in one request; returns their md5 hash (its digest also goes out as Content-MD5). */
export const putBytes = (api: S3Api, objectKey: string, uri: string, bytes: Uint8Array): Effect.Effect<ContentHash, StorageError> => {
  const digest = createHash("md5").update(bytes).digest()
  return Effect.as(
    api.call(
      "Uploading",
      uri,
      (signal) =>
        api.client.send(
          new PutObjectCommand({ Bucket: api.location.bucket, Key: objectKey, Body: bytes, ContentLength: bytes.byteLength, ContentMD5: digest.toString("base64") }),
          { abortSignal: signal }
        ),
      { notFound: "NoSuchBucket" }
    ),
    { hash: digest.toString("base64url").slice(0, HASH_LENGTH), hash_type: "md5", size: bytes.byteLength }
  )
}

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
        if (size <= tuning.partSize)
          // One request: the whole file is one pooled buffer, hashed before sending.
          return yield* Effect.acquireUseRelease(
            tuning.buffers.take(size),
            (buf) =>
              Effect.gen(function* () {
                const bytes = yield* readInto(fh, buf, size, 0, localPath)
                if (bytes.byteLength !== size) return yield* readFail(localPath)(new Error("the file changed size while it was read"))
                return yield* putBytes(api, objectKey, uri, bytes)
              }),
            (buf) => tuning.buffers.give(buf)
          )
        return yield* multipart(api, fh, localPath, size, objectKey, uri, tuning)
      }),
    (fh) => Effect.promise(() => fh.close())
  )

interface Part {
  readonly n: number
  readonly buffer: Buffer
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
      (signal) =>
        api.client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: objectKey, ChecksumAlgorithm: "CRC32" }), { abortSignal: signal }),
      { notFound: "NoSuchBucket" }
    )
    const uploadId = created.UploadId
    if (uploadId === undefined) return yield* new StorageError({ message: `S3 returned no upload id for '${uri}': the server is not S3-compatible.`, path: uri })

    const upload = Effect.gen(function* () {
      const hash = new StreamingHash()
      const parts: Array<{ readonly ETag: string; readonly ChecksumCRC32: string; readonly PartNumber: number }> = new Array(nParts)
      // Capacity 1: the reader stays at most one part ahead of the uploaders.
      const queue = yield* Queue.bounded<Part | undefined>(1)
      // Buffers taken but not yet given back; whatever is left on failure is returned.
      const held = new Set<Buffer>()
      const take = (bytes: number) => Effect.uninterruptibleMask((restore) => Effect.tap(restore(tuning.buffers.take(bytes)), (b) => void held.add(b)))
      const give = (b: Buffer) => Effect.suspend(() => (held.delete(b) ? tuning.buffers.give(b) : Effect.void))
      const reader = Effect.gen(function* () {
        for (let n = 1; n <= nParts; n++) {
          const length = Math.min(partSize, size - (n - 1) * partSize)
          const buffer = yield* take(length)
          const bytes = yield* readInto(fh, buffer, length, (n - 1) * partSize, localPath)
          if (bytes.byteLength !== length) return yield* readFail(localPath)(new Error("the file changed size while it was uploaded"))
          hash.update(bytes)
          yield* Queue.offer(queue, { n, buffer, bytes })
        }
        for (let i = 0; i < tuning.concurrency; i++) yield* Queue.offer(queue, undefined)
      })
      const uploader = Effect.gen(function* () {
        for (;;) {
          const part = yield* Queue.take(queue)
          if (part === undefined) return
          const checksum = crc32b64(part.bytes)
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
                  ChecksumCRC32: checksum
                }),
                { abortSignal: signal }
              )
            )
            .pipe(Effect.ensuring(give(part.buffer)))
          if (out.ETag === undefined) return yield* new StorageError({ message: `S3 returned no ETag for part ${part.n} of '${uri}'.`, path: uri })
          parts[part.n - 1] = { ETag: out.ETag, ChecksumCRC32: out.ChecksumCRC32 ?? checksum, PartNumber: part.n }
        }
      })
      yield* Effect.all([reader, ...Array.from({ length: tuning.concurrency }, () => uploader)], { concurrency: "unbounded", discard: true }).pipe(
        Effect.ensuring(Effect.forEach([...held], give, { discard: true }))
      )
      yield* api.call("Finishing the upload of", uri, (signal) =>
        api.client.send(
          new CompleteMultipartUploadCommand({ Bucket: bucket, Key: objectKey, UploadId: uploadId, MultipartUpload: { Parts: parts } }),
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
