/**
 * Incomplete multipart uploads: a save killed between `CreateMultipartUpload` and
 * `Complete…`/`Abort…` leaves parts that S3 stores (and bills) but never lists as objects, so an
 * object listing cannot see them. `ListMultipartUploads` finds them and
 * `AbortMultipartUpload` frees their parts.
 *
 * @module
 */
import { AbortMultipartUploadCommand, ListMultipartUploadsCommand } from "@aws-sdk/client-s3"
import { Effect } from "effect"
import { StorageError } from "../errors.js"
import type { IncompleteUploads, PendingUpload } from "./ObjectStore.js"
import type { S3Api } from "./s3client.js"
import { keyOfObject, objectKey, type S3Location } from "./s3uri.js"

/** Whether an SDK error says the endpoint does not implement the request (s3rver, some gateways). */
const unsupported = (e: unknown): boolean => {
  const err = e as { readonly name?: unknown; readonly Code?: unknown; readonly $metadata?: { readonly httpStatusCode?: unknown } }
  return err.name === "NotImplemented" || err.Code === "NotImplemented" || err.name === "MethodNotAllowed" || err.$metadata?.httpStatusCode === 501 || err.$metadata?.httpStatusCode === 405
}

const failure = (what: string, target: string, e: unknown) =>
  new StorageError({ message: `${what} ${target} failed: ${e instanceof Error ? e.message : String(e)}. Check the credentials allow s3:ListBucketMultipartUploads and s3:AbortMultipartUpload.`, path: target, cause: e })

/** The incomplete uploads of an S3 store (one request per 1,000 uploads, not retried: gc runs again). */
export const s3IncompleteUploads = (api: S3Api, loc: S3Location): IncompleteUploads => ({
  list: (prefix) =>
    Effect.gen(function* () {
      const out: Array<PendingUpload> = []
      let keyMarker: string | undefined
      let uploadIdMarker: string | undefined
      const target = `s3://${loc.bucket}/${objectKey(loc, prefix)}`
      for (;;) {
        const page = yield* Effect.tryPromise({
          try: (signal) =>
            api.client.send(
              new ListMultipartUploadsCommand({ Bucket: loc.bucket, Prefix: objectKey(loc, prefix), KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker }),
              { abortSignal: signal }
            ),
          catch: (e) => (unsupported(e) ? ("unsupported" as const) : failure("Listing the incomplete multipart uploads of", target, e))
        })
        for (const u of page.Uploads ?? []) {
          const key = u.Key === undefined ? undefined : keyOfObject(loc, u.Key)
          if (key !== undefined && u.UploadId !== undefined) out.push({ key, uploadId: u.UploadId, ...(u.Initiated !== undefined ? { initiated: u.Initiated } : {}) })
        }
        if (page.IsTruncated !== true) return { _tag: "listed", uploads: out } as const
        keyMarker = page.NextKeyMarker
        uploadIdMarker = page.NextUploadIdMarker
      }
    }).pipe(
      Effect.catchIf(
        (e): e is "unsupported" => e === "unsupported",
        () => Effect.succeed({ _tag: "unsupported", reason: `${api.endpointName} does not implement ListMultipartUploads` } as const)
      )
    ),
  abort: (upload) =>
    Effect.tryPromise({
      try: (signal) => api.client.send(new AbortMultipartUploadCommand({ Bucket: loc.bucket, Key: objectKey(loc, upload.key), UploadId: upload.uploadId }), { abortSignal: signal }),
      catch: (e) => failure("Aborting the multipart upload of", `s3://${loc.bucket}/${objectKey(loc, upload.key)}`, e)
    }).pipe(Effect.asVoid)
})
