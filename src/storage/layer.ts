/**
 * Pick the `ObjectStore` implementation from a storage root.
 *
 * @module
 */
import { Layer } from "effect"
import { StorageError } from "../errors.js"
import type { S3Settings } from "../instance/settings.js"
import * as Local from "./local.js"
import type { ObjectStore } from "./ObjectStore.js"

/** The object store for `root`: S3 for `s3://…`, a local folder otherwise. */
export const layerFromRoot = (root: string, _s3?: S3Settings): Layer.Layer<ObjectStore, StorageError> =>
  root.startsWith("s3://")
    ? Layer.fail(new StorageError({ message: `S3 storage ('${root}') is not available in this build.` }))
    : Local.layer(root)
