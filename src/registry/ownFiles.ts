/**
 * Lamina's own files are never artifacts: saving a folder that contains the instance's storage
 * root (or its SQLite registry), or anything inside `.lamina/`, would copy the live database
 * (`lamina.db`, `-wal`, `-shm`) and every stored artifact into a new artifact.
 *
 * @module
 */
import { realpathSync } from "node:fs"
import * as path from "node:path"
import { InvalidArgument } from "../errors.js"
import type { InstanceSettings } from "../instance/settings.js"
import { isS3Uri } from "../storage/s3uri.js"

const real = (p: string): string => {
  try {
    // One realpath(3) call instead of an lstat per path component: this runs on every save.
    return realpathSync.native(p)
  } catch {
    return path.resolve(p)
  }
}

/**
 * `real` of the instance's own paths (its storage root and registry file), once per process:
 * they are fixed while the instance is open, and two of a save's three realpath calls were theirs.
 */
const ownReal = new Map<string, string>()
const realOwn = (p: string): string => {
  let r = ownReal.get(p)
  if (r === undefined) ownReal.set(p, (r = real(p)))
  return r
}

/** `inner` is `outer` or inside it. */
const within = (inner: string, outer: string): boolean => inner === outer || inner.startsWith(outer.endsWith(path.sep) ? outer : outer + path.sep)

const isPostgres = (db: string): boolean => /^postgres(?:ql)?:\/\//i.test(db)

/** Why saving local `source` would copy Lamina's own files, or undefined when it would not. */
export const ownFilesProblem = (source: string, settings: Pick<InstanceSettings, "storage" | "db">): InvalidArgument | undefined => {
  if (isS3Uri(source)) return undefined
  const src = real(source)
  if (!isS3Uri(settings.storage)) {
    const root = realOwn(settings.storage)
    const internal = path.join(root, ".lamina")
    if (within(src, internal))
      return new InvalidArgument({
        message: `'${source}' is inside Lamina's own '.lamina/' folder (the registry and the stored artifacts' bytes): load those artifacts by uid or key instead of saving them again.`
      })
    if (within(root, src))
      return new InvalidArgument({
        message: `'${source}' contains this instance's storage root '${root}': saving it would copy the live registry database (lamina.db and its -wal/-shm files) and every stored artifact into a new artifact. Save a folder that does not contain the storage root, or a subfolder of the root other than '.lamina/'.`
      })
  }
  if (!isPostgres(settings.db)) {
    const db = realOwn(settings.db)
    if (within(db, src) || [db, `${db}-wal`, `${db}-shm`, `${db}-journal`].includes(src))
      return new InvalidArgument({
        message: `'${source}' ${src === db || src.startsWith(db + "-") ? "is" : "contains"} this instance's live registry database '${db}': it cannot be saved as an artifact (a copy taken while it is open is inconsistent). Save a folder without it.`
      })
  }
  return undefined
}
