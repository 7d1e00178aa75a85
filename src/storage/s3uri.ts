/**
 * `s3://bucket/prefix` storage roots: parsing, and mapping storage keys to S3 object keys and
 * back. Pure string functions, shared by the S3 store, its cache and the registry.
 *
 * @module
 */
import { Effect } from "effect"
import { InvalidArgument } from "../errors.js"

/** Where an S3 storage root lives. */
export interface S3Location {
  readonly bucket: string
  /** Object-key prefix without leading or trailing `/`; `""` for a whole bucket. */
  readonly prefix: string
}

/** True for `s3://…` strings. */
export const isS3Uri = (s: string): boolean => s.startsWith("s3://")

// S3's bucket naming rules (3–63 chars; lower-case letters, digits, dots, hyphens).
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/

/** Parse `s3://bucket[/prefix]`; `InvalidArgument` saying what a valid root looks like. */
export const parseS3Root = (root: string): Effect.Effect<S3Location, InvalidArgument> => {
  const m = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(root)
  const bucket = m?.[1] ?? ""
  const prefix = (m?.[2] ?? "").replace(/\/+$/, "")
  if (m === null || !BUCKET.test(bucket))
    return Effect.fail(
      new InvalidArgument({
        message: `'${root}' is not a valid S3 storage root: use s3://bucket/prefix with a bucket name of 3–63 lower-case letters, digits, dots or hyphens.`
      })
    )
  if (prefix !== "" && prefix.split("/").some((s) => s === "" || s === "." || s === ".."))
    return Effect.fail(
      new InvalidArgument({ message: `'${root}' has an empty, '.' or '..' segment in its prefix: write it like s3://bucket/team/data.` })
    )
  return Effect.succeed({ bucket, prefix })
}

/** The root as a URI, without a trailing slash. */
export const rootUri = (loc: S3Location): string => (loc.prefix === "" ? `s3://${loc.bucket}` : `s3://${loc.bucket}/${loc.prefix}`)

/** The S3 object key of a storage key (`""` → the root prefix itself). */
export const objectKey = (loc: S3Location, key: string): string =>
  loc.prefix === "" ? key : key === "" ? loc.prefix : `${loc.prefix}/${key}`

/** The listing prefix of a storage folder: its object key with a trailing `/` (or the root's). */
export const folderPrefix = (loc: S3Location, key: string): string => {
  const k = objectKey(loc, key)
  return k === "" ? "" : `${k}/`
}

/** The storage key of an S3 object key inside the root, if it is inside. */
export const keyOfObject = (loc: S3Location, object: string): string | undefined => {
  if (loc.prefix === "") return object === "" ? undefined : object
  return object.startsWith(`${loc.prefix}/`) && object.length > loc.prefix.length + 1
    ? object.slice(loc.prefix.length + 1)
    : undefined
}

/** The storage key of `s3://bucket/prefix/…` inside the root, if it is inside. */
export const keyOfUri = (loc: S3Location, uri: string): string | undefined => {
  const head = `s3://${loc.bucket}/`
  if (!uri.startsWith(head)) return undefined
  const key = keyOfObject(loc, uri.slice(head.length).replace(/\/+$/, ""))
  return key === undefined || key.split("/").some((s) => s === "" || s === "." || s === "..") ? undefined : key
}
