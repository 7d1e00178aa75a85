/**
 * Where an artifact's bytes live, and the facts about an artifact derived from its row alone
 * (folder or file, storage key, format, label for messages).
 *
 * @module
 */
import * as path from "node:path"
import { formatOf, type FormatName } from "../../formats/format-of.js"
import type { ObjectStore } from "../../storage/ObjectStore.js"
import type { ArtifactRow } from "./model.js"

/** `.lamina/{uid}{suffix}` for files; `.lamina/{uid}` for folders (one immutable prefix per version). */
export const virtualStorageKey = (uid: string, suffix: string, folder: boolean): string =>
  folder ? `.lamina/${uid}` : `.lamina/${uid}${suffix}`

/** A storage key under a root (a folder or a URI). */
export const joinRoot = (root: string, key: string): string => (root.includes("://") ? `${root}/${key}` : path.join(root, key))

/** True for folder artifacts. */
export const isFolderRow = (a: Pick<ArtifactRow, "hash_type" | "n_files">): boolean => a.hash_type === "md5-d" || (a.n_files ?? 0) > 1

/** Where the bytes live inside the storage root. */
export const storageKeyOf = (a: Pick<ArtifactRow, "_key_is_virtual" | "uid" | "suffix" | "key" | "hash_type" | "n_files">): string =>
  a._key_is_virtual ? virtualStorageKey(a.uid, a.suffix, isFolderRow(a)) : a.key!

/** The format Lamina reads: by suffix, a `.zarr` registered as AnnData counted as `"anndata-zarr"`. */
export const formatOfRow = (a: Pick<ArtifactRow, "suffix" | "otype">): FormatName | undefined => {
  const f = formatOf(a.suffix)
  return f === "zarr" && a.otype === "AnnData" ? "anndata-zarr" : f
}

/** The key, else the uid, for messages. */
export const labelOf = (a: Pick<ArtifactRow, "key" | "uid">): string => (a.key === null ? a.uid : `'${a.key}' (${a.uid})`)

/** An artifact with its derived facts: what the reads and the save protocol work on. */
export interface ArtifactView extends ArtifactRow {
  readonly isFolder: boolean
  readonly storageKey: string
  readonly format: FormatName | undefined
  readonly label: string
  readonly stem: string
}
