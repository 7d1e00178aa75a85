/**
 * Pick the `ObjectStore` implementation from a storage root.
 *
 * @module
 */
import { Effect, Layer } from "effect"
import type { StorageError } from "../errors.js"
import type { S3Settings } from "../instance/settings.js"
import * as Local from "./local.js"
import type { ObjectStore } from "./ObjectStore.js"
import { isS3Uri } from "./s3uri.js"

/**
 * The object store for `root`: S3 for `s3://…`, a local folder otherwise. The S3 store is
 * imported on demand: the AWS SDK takes longer to load than a whole local CLI command.
 */
export const layerFromRoot = (root: string, s3?: S3Settings): Layer.Layer<ObjectStore, StorageError> =>
  isS3Uri(root)
    ? Layer.unwrapEffect(Effect.map(Effect.promise(() => import("./s3.js")), (S3) => S3.layer({ root, ...s3 })))
    : Local.layer(root)
