/**
 * The S3 `ObjectStore`: storage root `s3://bucket/prefix`, objects at `prefix/{key}`, folders as
 * key prefixes. Works with AWS S3 and S3-compatible servers (MinIO, s3rver…) through
 * `endpoint` + `forcePathStyle`.
 *
 * - Uploads stream from disk with bounded memory and hash (whole-content md5) in the same pass
 *   (see `s3upload.ts`); the registry's hash is always that md5, whatever the ETag is.
 * - Registration in place (`hashObject`, `hashFolder`) reads the hash from the ETag like
 *   LaminDB: plain → `md5`, multipart `X-N` → `md5-N`.
 * - `localPath` serves verified copies from the local cache (`cache.ts`).
 * - Every request is retried on transient failures, then fails with a `StorageError` that says
 *   what to fix (`s3client.ts`).
 *
 * @module
 */
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  UploadPartCopyCommand
} from "@aws-sdk/client-s3"
import { createWriteStream, promises as fs } from "node:fs"
import { s3IncompleteUploads } from "./s3multipart.js"
import * as path from "node:path"
import { Readable, Writable } from "node:stream"
import { pipeline } from "node:stream/promises"
import { Effect, Layer, type Scope } from "effect"
import { StorageError } from "../errors.js"
import { makeBufferPool } from "./bufferpool.js"
import { makeCache, cacheDir, type Downloaded, type RemoteObject } from "./cache.js"
import { hashFromEtag } from "./etag.js"
import { listFiles, tempSibling } from "./fileio.js"
import { StreamingHash, type ContentHash } from "./hash.js"
import { summarize } from "./local.js"
import { guardKeys } from "./guardKeys.js"
import { ObjectStore, validateRange, type FolderSummary, type ObjectInfo, type OnBytes } from "./ObjectStore.js"
import { makeApi, makeClient, type S3Api, type S3ClientConfig } from "./s3client.js"
import { putBytes, uploadFile, type UploadTuning } from "./s3upload.js"
import { folderPrefix, keyOfObject, keyOfUri, objectKey, parseS3Root, rootUri, type S3Location } from "./s3uri.js"

/** Settings of an S3 store (never credentials: those come from the AWS provider chain). */
export interface S3StoreConfig extends S3ClientConfig {
  /** `s3://bucket/prefix`. */
  readonly root: string
  /** Multipart part size in bytes (default 8 MiB; grown for files over 80 GB). */
  readonly partSize?: number
  /** Parts of one file uploaded at once (default 4). */
  readonly concurrency?: number
  /** Part buffers the store may hold at once, across all uploads (default concurrency + 1): bounds memory. */
  readonly maxBufferedParts?: number
  /** Local cache folder (default `$LAMINA_CACHE_DIR` or `~/.cache/lamina`). */
  readonly cacheDir?: string
}

const MIB = 1024 * 1024
/** CopyObject's single-request limit. */
const MAX_COPY = 5 * 1024 * MIB
const COPY_PART = 512 * MIB

interface RawObject {
  readonly key: string
  readonly size: number
  readonly etag?: string
  readonly modifiedAt?: Date
}

/** Make an S3 store; checks that the bucket exists and the credentials are accepted. */
export const make = (config: S3StoreConfig): Effect.Effect<ObjectStore, StorageError, Scope.Scope> =>
  Effect.gen(function* () {
    const loc = yield* parseS3Root(config.root).pipe(
      Effect.mapError((e) => new StorageError({ message: e.message, path: config.root }))
    )
    const client = yield* Effect.acquireRelease(
      Effect.sync(() => makeClient(config)),
      (c) => Effect.sync(() => c.destroy())
    )
    const api = makeApi(client, loc, config)
    yield* api.call(
      "Connecting to",
      rootUri(loc),
      (signal) => client.send(new HeadBucketCommand({ Bucket: loc.bucket }), { abortSignal: signal }),
      { notFound: "NoSuchBucket" }
    )
    const concurrency = Math.max(1, config.concurrency ?? 4)
    const partSize = Math.max(5 * MIB, config.partSize ?? 8 * MIB)
    const buffers = yield* makeBufferPool(partSize, Math.max(1, config.maxBufferedParts ?? concurrency + 1))
    const tuning: UploadTuning = { partSize, concurrency, buffers }
    return makeStore(api, loc, tuning, config.cacheDir ?? cacheDir())
  })

/** A layer providing the S3 store for `config`; the client is closed with the layer. */
export const layer = (config: S3StoreConfig): Layer.Layer<ObjectStore, StorageError> => Layer.scoped(ObjectStore, make(config))

const makeStore = (api: S3Api, loc: S3Location, tuning: UploadTuning, cacheRoot: string): ObjectStore => {
  const { client } = api
  const Bucket = loc.bucket
  const root = rootUri(loc)
  const uriOfObject = (k: string) => `s3://${Bucket}/${k}`
  const uri = (key: string) => (key === "" ? root : `${root}/${key}`)

  const head = (k: string) =>
    Effect.map(
      api.callOptional("Reading metadata of", uriOfObject(k), (signal) => client.send(new HeadObjectCommand({ Bucket, Key: k }), { abortSignal: signal })),
      (out) =>
        out === undefined
          ? undefined
          : {
              size: out.ContentLength ?? 0,
              ...(out.ETag !== undefined ? { etag: out.ETag } : {}),
              ...(out.LastModified !== undefined ? { modifiedAt: out.LastModified } : {})
            }
    )

  /** Every object below a listing prefix (paginated). */
  const listRaw = (prefix: string): Effect.Effect<ReadonlyArray<RawObject>, StorageError> =>
    Effect.gen(function* () {
      const out: Array<RawObject> = []
      let token: string | undefined
      do {
        const page = yield* api.call(
          "Listing",
          uriOfObject(prefix),
          (signal) =>
            client.send(new ListObjectsV2Command({ Bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }), { abortSignal: signal }),
          { notFound: "NoSuchBucket" }
        )
        for (const o of page.Contents ?? [])
          if (o.Key !== undefined && !o.Key.endsWith("/"))
            out.push({
              key: o.Key,
              size: o.Size ?? 0,
              ...(o.ETag !== undefined ? { etag: o.ETag } : {}),
              ...(o.LastModified !== undefined ? { modifiedAt: o.LastModified } : {})
            })
        token = page.IsTruncated ? page.NextContinuationToken : undefined
      } while (token !== undefined)
      return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    })

  /** Stream an object into `sink`, hashing it. */
  const fetchInto = (k: string, sink: () => Writable, cleanup: () => Promise<void>, onBytes?: OnBytes): Effect.Effect<Downloaded, StorageError> =>
    api.call("Downloading", uriOfObject(k), async (signal) => {
      const out = await client.send(new GetObjectCommand({ Bucket, Key: k }), { abortSignal: signal })
      if (!(out.Body instanceof Readable)) throw new Error("the S3 response has no readable body")
      const h = new StreamingHash()
      try {
        await pipeline(
          out.Body,
          async function* (source: AsyncIterable<Buffer>) {
            for await (const chunk of source) {
              h.update(chunk)
              onBytes?.(chunk.byteLength)
              yield chunk
            }
          },
          sink(),
          { signal }
        )
      } catch (e) {
        await cleanup()
        throw e
      }
      const content = h.digest()
      if (out.ContentLength !== undefined && content.size !== out.ContentLength) {
        await cleanup()
        throw Object.assign(new Error(`got ${content.size} of ${out.ContentLength} bytes`), { name: "IncompleteBody" })
      }
      return { content, ...(out.ETag !== undefined ? { etag: out.ETag } : {}) }
    })

  const download = (k: string, dest: string) =>
    fetchInto(
      k,
      () => createWriteStream(dest, { highWaterMark: MIB }),
      () => fs.rm(dest, { force: true })
    )

  /** Hash an object by reading it (for ETags that are not md5-shaped, and for verification). */
  const hashByReading = (k: string, onBytes?: OnBytes) =>
    Effect.map(
      fetchInto(k, () => new Writable({ write: (_c, _e, done) => done() }), async () => undefined, onBytes),
      (d) => d.content
    )

  const cache = makeCache(
    {
      uri: uriOfObject,
      head,
      listFolder: (k) =>
        Effect.map(listRaw(`${k}/`), (objects) =>
          objects.map((o): RemoteObject => ({ rel: o.key.slice(k.length + 1), objectKey: o.key, size: o.size, ...(o.etag !== undefined ? { etag: o.etag } : {}) }))
        ),
      download
    },
    Bucket,
    cacheRoot
  )

  const copyObject = (from: string, to: string, size: number) =>
    size <= MAX_COPY
      ? api.call("Copying", uriOfObject(from), (signal) =>
          client.send(new CopyObjectCommand({ Bucket, Key: to, CopySource: copySource(Bucket, from) }), { abortSignal: signal })
        )
      : copyMultipart(from, to, size)

  const copyMultipart = (from: string, to: string, size: number) =>
    Effect.gen(function* () {
      const created = yield* api.call("Copying", uriOfObject(from), (signal) =>
        client.send(new CreateMultipartUploadCommand({ Bucket, Key: to }), { abortSignal: signal })
      )
      const UploadId = created.UploadId!
      const parts = Array.from({ length: Math.ceil(size / COPY_PART) }, (_, i) => i)
      return yield* Effect.forEach(
        parts,
        (i) =>
          Effect.map(
            api.call(`Copying part ${i + 1} of`, uriOfObject(from), (signal) =>
              client.send(
                new UploadPartCopyCommand({
                  Bucket,
                  Key: to,
                  UploadId,
                  PartNumber: i + 1,
                  CopySource: copySource(Bucket, from),
                  CopySourceRange: `bytes=${i * COPY_PART}-${Math.min(size, (i + 1) * COPY_PART) - 1}`
                }),
                { abortSignal: signal }
              )
            ),
            (out) => ({ ETag: out.CopyPartResult?.ETag, PartNumber: i + 1 })
          ),
        { concurrency: 4 }
      ).pipe(
        Effect.flatMap((Parts) =>
          api.call("Copying", uriOfObject(from), (signal) =>
            client.send(new CompleteMultipartUploadCommand({ Bucket, Key: to, UploadId, MultipartUpload: { Parts } }), { abortSignal: signal })
          )
        ),
        Effect.tapError(() =>
          Effect.ignore(
            api.call("Aborting the copy of", uriOfObject(from), (signal) =>
              client.send(new AbortMultipartUploadCommand({ Bucket, Key: to, UploadId }), { abortSignal: signal })
            )
          )
        )
      )
    })

  const deleteObjects = (keys: ReadonlyArray<string>) =>
    Effect.forEach(
      chunks(keys, 1000),
      (batch) =>
        Effect.flatMap(
          api.call("Deleting", uriOfObject(batch[0]!), (signal) =>
            client.send(new DeleteObjectsCommand({ Bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }), { abortSignal: signal })
          ),
          (out) =>
            out.Errors && out.Errors.length > 0
              ? Effect.fail(
                  new StorageError({
                    message: `Deleting ${out.Errors.length} object(s) under '${uriOfObject(batch[0]!)}' failed (${out.Errors[0]!.Code}: ${out.Errors[0]!.Message}). Check that the credentials may delete in '${Bucket}'.`
                  })
                )
              : Effect.void
        ),
      { discard: true }
    )

  const missing = (key: string) =>
    new StorageError({ message: `'${uri(key)}' does not exist in S3: it was deleted or moved outside Lamina.`, path: uri(key) })

  return guardKeys({
    root,
    type: "s3",
    localFolders: [path.resolve(cacheRoot)],
    incompleteUploads: s3IncompleteUploads(api, loc),
    putFile: (localPath, key) => uploadFile(api, localPath, objectKey(loc, key), uri(key), tuning),
    putFolder: (localDir, prefix) =>
      Effect.gen(function* () {
        const files = yield* Effect.tryPromise({
          try: () => listFiles(localDir),
          catch: (cause) => new StorageError({ message: `Reading folder '${localDir}' failed: ${String(cause)}. Check that it exists and is readable.`, path: localDir, cause })
        })
        const hashes = yield* Effect.forEach(files, (f) => uploadFile(api, path.join(localDir, ...f.split("/")), objectKey(loc, `${prefix}/${f}`), uri(`${prefix}/${f}`), tuning), {
          concurrency: 4
        }).pipe(
          // S3 has no atomic folder write: take back what was uploaded.
          Effect.tapError(() => Effect.ignore(Effect.flatMap(listRaw(folderPrefix(loc, prefix)), (objects) => deleteObjects(objects.map((o) => o.key)))))
        )
        return summarize(hashes)
      }),
    putBytes: (key, bytes) => putBytes(api, objectKey(loc, key), uri(key), bytes),
    hashObject: (key) =>
      Effect.gen(function* () {
        const k = objectKey(loc, key)
        const h = yield* head(k)
        if (h === undefined) return yield* missing(key)
        return hashFromEtag(h.etag, h.size) ?? (yield* hashByReading(k))
      }),
    hashFolder: (prefix) =>
      Effect.gen(function* () {
        const objects = yield* listRaw(folderPrefix(loc, prefix))
        if (objects.length === 0) return yield* missing(prefix)
        const hashes = yield* Effect.forEach(objects, (o): Effect.Effect<ContentHash, StorageError> => {
          const h = hashFromEtag(o.etag, o.size)
          return h !== undefined ? Effect.succeed(h) : hashByReading(o.key)
        }, { concurrency: 4 })
        return summarize(hashes) satisfies FolderSummary
      }),
    hashContent: (key, onBytes) => hashByReading(objectKey(loc, key), onBytes),
    download: (key, dest, onBytes) =>
      Effect.gen(function* () {
        yield* Effect.tryPromise({
          try: () => fs.mkdir(path.dirname(dest), { recursive: true }),
          catch: (cause) => new StorageError({ message: `Creating folder '${path.dirname(dest)}' failed: ${String(cause)}. Check that it is writable.`, path: dest, cause })
        })
        const tmp = tempSibling(dest)
        const got = yield* fetchInto(
          objectKey(loc, key),
          () => createWriteStream(tmp, { highWaterMark: MIB }),
          () => fs.rm(tmp, { force: true }),
          onBytes
        )
        yield* Effect.tryPromise({
          try: () => fs.rename(tmp, dest),
          catch: (cause) => new StorageError({ message: `Writing '${dest}' failed: ${String(cause)}. Check that it is writable.`, path: dest, cause })
        })
        return got.content
      }),
    stat: (key) =>
      Effect.map(head(objectKey(loc, key)), (h): ObjectInfo | undefined =>
        h === undefined ? undefined : { key, size: h.size, ...(h.modifiedAt !== undefined ? { modifiedAt: h.modifiedAt } : {}) }
      ),
    exists: (key) => Effect.map(head(objectKey(loc, key)), (h) => h !== undefined),
    list: (prefix) =>
      Effect.map(listRaw(folderPrefix(loc, prefix)), (objects) =>
        objects.flatMap((o): Array<ObjectInfo> => {
          const key = keyOfObject(loc, o.key)
          return key === undefined ? [] : [{ key, size: o.size, ...(o.modifiedAt !== undefined ? { modifiedAt: o.modifiedAt } : {}) }]
        })
      ),
    localPath: (key, options) => {
      const k = objectKey(loc, key)
      return options?.folder ? cache.folder(k, options.expected) : cache.file(k, options?.expected)
    },
    read: (key) =>
      api.call("Reading", uri(key), async (signal) => {
        const out = await client.send(new GetObjectCommand({ Bucket, Key: objectKey(loc, key) }), { abortSignal: signal })
        if (out.Body === undefined) throw new Error("the S3 response has no body")
        return out.Body.transformToByteArray()
      }),
    readRange: (key, start, end) =>
      Effect.zipRight(
        validateRange(start, end),
        start >= end
          ? Effect.succeed(new Uint8Array(0))
          : api.call("Reading", uri(key), async (signal) => {
              try {
                const out = await client.send(
                  new GetObjectCommand({ Bucket, Key: objectKey(loc, key), Range: `bytes=${start}-${end - 1}` }),
                  { abortSignal: signal }
                )
                if (out.Body === undefined) throw new Error("the S3 response has no body")
                return await out.Body.transformToByteArray()
              } catch (e) {
                // Starting at or past the end: no bytes, like reading past the end of a file.
                if (failureStatus(e) === 416) return new Uint8Array(0)
                throw e
              }
            })
      ),
    move: (from, to) =>
      Effect.gen(function* () {
        const src = objectKey(loc, from)
        const dst = objectKey(loc, to)
        const h = yield* head(src)
        if (h !== undefined) {
          yield* copyObject(src, dst, h.size)
          yield* api.call("Deleting", uriOfObject(src), (signal) => client.send(new DeleteObjectCommand({ Bucket, Key: src }), { abortSignal: signal }))
          return
        }
        const objects = yield* listRaw(`${src}/`)
        if (objects.length === 0) return yield* missing(from)
        yield* Effect.forEach(objects, (o) => copyObject(o.key, `${dst}/${o.key.slice(src.length + 1)}`, o.size), { concurrency: 4, discard: true })
        yield* deleteObjects(objects.map((o) => o.key))
      }),
    remove: (key) =>
      Effect.gen(function* () {
        const k = objectKey(loc, key)
        yield* api.call("Deleting", uri(key), (signal) => client.send(new DeleteObjectCommand({ Bucket, Key: k }), { abortSignal: signal }))
        const below = yield* listRaw(`${k}/`)
        if (below.length > 0) yield* deleteObjects(below.map((o) => o.key))
      }),
    keyOf: (p) => keyOfUri(loc, p),
    uri
  })
}

const failureStatus = (e: unknown): number | undefined => {
  const meta = typeof e === "object" && e !== null && "$metadata" in e ? e.$metadata : undefined
  const status = typeof meta === "object" && meta !== null && "httpStatusCode" in meta ? meta.httpStatusCode : undefined
  return typeof status === "number" ? status : undefined
}

/** `x-amz-copy-source`: bucket/key, URL-encoded except for `/`. */
const copySource = (bucket: string, key: string) => `${bucket}/${encodeURIComponent(key).replace(/%2F/g, "/")}`

const chunks = <A>(xs: ReadonlyArray<A>, n: number): Array<ReadonlyArray<A>> =>
  Array.from({ length: Math.ceil(xs.length / n) }, (_, i) => xs.slice(i * n, (i + 1) * n))
