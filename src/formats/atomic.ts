/**
 * Atomic writes: every format writer writes to a temporary name in the target's directory and
 * renames it into place, so a reader never sees a half-written file and a failed write leaves
 * nothing behind.
 *
 * @module
 */
import * as crypto from "node:crypto"
import * as fs from "node:fs"
import { makeDirectory } from "../storage/fileio.js"
import * as path from "node:path"
import { Effect, Exit } from "effect"
import { StorageError } from "../errors.js"

/** A hidden temporary name next to `target` (same directory, so `rename` is atomic). */
export const temporarySibling = (target: string): string => {
  const dir = path.dirname(path.resolve(target))
  const suffix = `${process.pid}-${crypto.randomBytes(6).toString("hex")}`
  return path.join(dir, `.${path.basename(target)}.lamina-tmp-${suffix}`)
}

const storageError = (message: string, target: string, cause: unknown): StorageError =>
  new StorageError({ message: `${message}: ${errorText(cause)}`, path: target, cause })

/** The message of an unknown thrown value. */
export const errorText = (cause: unknown): string =>
  cause instanceof Error ? cause.message : String(cause)

const removeQuietly = (p: string): void => {
  try {
    fs.rmSync(p, { recursive: true, force: true })
  } catch {
    // best effort: a leftover hidden temp file is harmless
  }
}

const moveIntoPlace = (tmp: string, target: string): void => {
  const isDir = fs.statSync(tmp).isDirectory()
  if (!isDir) {
    fs.renameSync(tmp, target)
    return
  }
  // Directories (zarr stores) cannot replace a non-empty directory in one rename: move the
  // old one aside first, then drop it. Readers see either the old or the new store.
  if (fs.existsSync(target)) {
    const aside = temporarySibling(target)
    fs.renameSync(target, aside)
    fs.renameSync(tmp, target)
    removeQuietly(aside)
  } else {
    fs.renameSync(tmp, target)
  }
}

/**
 * Runs `write` against a temporary sibling path of `target`, then renames it onto `target`.
 * On failure or interruption the temporary file or folder is removed and `target` is untouched.
 *
 * @param target - final path of the file or folder
 * @param write - writes the complete file or folder at the path it receives
 */
export const writeAtomically = <A, E, R>(
  target: string,
  write: (tmpPath: string) => Effect.Effect<A, E, R>
): Effect.Effect<A, E | StorageError, R> =>
  Effect.gen(function*() {
    const dir = path.dirname(path.resolve(target))
    yield* Effect.try({
      try: () => makeDirectory(dir),
      catch: (cause) => storageError(`Cannot create directory ${dir}`, target, cause)
    })
    const tmp = temporarySibling(target)
    const result = yield* write(tmp).pipe(
      Effect.onExit((exit) => Exit.isSuccess(exit) ? Effect.void : Effect.sync(() => removeQuietly(tmp)))
    )
    yield* Effect.try({
      try: () => moveIntoPlace(tmp, target),
      catch: (cause) => {
        removeQuietly(tmp)
        return storageError(`Cannot move the written file into place at ${target}`, target, cause)
      }
    })
    return result
  })

/** Writes `bytes` (or text) to `target` atomically. */
export const writeFileAtomic = (
  target: string,
  bytes: Uint8Array | string
): Effect.Effect<void, StorageError> =>
  writeAtomically(target, (tmp) =>
    Effect.try({
      try: () => fs.writeFileSync(tmp, bytes),
      catch: (cause) => storageError(`Cannot write ${target}`, target, cause)
    }))

/** Reads a whole file, failing with a {@link StorageError} that names the path. */
export const readFileBytes = (file: string): Effect.Effect<Uint8Array, StorageError> =>
  Effect.try({
    try: () => {
      const buf = fs.readFileSync(file)
      return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength)
    },
    catch: (cause) => storageError(`Cannot read ${file}`, file, cause)
  })
