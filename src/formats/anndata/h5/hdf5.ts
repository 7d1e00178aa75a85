/**
 * h5wasm access: loading the WASM module once, turning HDF5 failures into typed errors, and
 * checking a file before HDF5 touches it.
 *
 * HDF5 reports errors through an error handler. h5wasm's default one prints to stderr and lets
 * C code carry on (a corrupt file can then abort the WASM runtime); its "throwing" handler turns
 * the first error into a JS exception carrying HDF5's error stack. Lamina activates the throwing
 * handler, wraps every h5wasm call in {@link h5try}, and validates the signature and superblock
 * end-of-file address first, so truncated or corrupt files fail with a {@link ValidationError}.
 *
 * @module
 */
import * as fs from "node:fs"
import { Effect } from "effect"
import h5wasm, { type Module } from "h5wasm/node"
import { StorageError, ValidationError } from "../../../errors.js"
import { errorText } from "../../atomic.js"

/** The h5wasm (Emscripten) module. */
export type H5Module = typeof Module

let loaded: H5Module | undefined

/** The h5wasm module, loaded once per process with HDF5's throwing error handler active. */
export const h5module: Effect.Effect<H5Module, StorageError> = Effect.suspend(() =>
  loaded !== undefined
    ? Effect.succeed(loaded)
    : Effect.tryPromise({
      try: () => h5wasm.ready,
      catch: (cause) => new StorageError({ message: `Cannot load h5wasm: ${errorText(cause)}`, cause })
    }).pipe(Effect.map((m) => {
      if (loaded === undefined) {
        m.activate_throwing_error_handler()
        loaded = m
      }
      return m
    }))
)

/**
 * Condenses an HDF5 error stack (from the throwing handler) to its outermost and innermost
 * lines, e.g. `H5Dread(): can't synchronously read data (… bad global heap collection signature)`.
 */
export const summarizeH5Error = (cause: unknown): string => {
  const text = errorText(cause)
  if (!text.includes("HDF5-DIAG")) return text.split("\n")[0]
  const frames = [...text.matchAll(/#\d+: .* in (\S+\(\)): (.*)/g)].map((m) => `${m[1]}: ${m[2]}`)
  if (frames.length === 0) return text.split("\n")[0]
  return frames.length === 1 ? frames[0] : `${frames[0]} (${frames[frames.length - 1]})`
}

/**
 * Runs an h5wasm call; any exception (HDF5 error, WASM abort) becomes a {@link ValidationError}
 * naming the file and element.
 */
export const h5try = <A>(file: string, element: string, what: string, f: () => A): Effect.Effect<A, ValidationError> =>
  Effect.try({
    try: f,
    catch: (cause) =>
      new ValidationError({
        message: `${file}: element ${element === "" ? "/" : element}: cannot ${what}; ` +
          `the file may be corrupted or truncated (HDF5: ${summarizeH5Error(cause)})`
      })
  })

const SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]

const readAt = (fd: number, position: number, length: number): Uint8Array => {
  const buf = new Uint8Array(length)
  const n = fs.readSync(fd, buf, 0, length, position)
  return buf.subarray(0, n)
}

const readUint = (bytes: Uint8Array, at: number, size: number): bigint => {
  let v = 0n
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[at + i])
  return v
}

/**
 * Checks that `path` is an HDF5 file and not truncated: finds the signature (at 0, 512, 1024, …),
 * and compares the superblock's end-of-file address with the file size.
 */
export const checkHdf5File = (path: string): Effect.Effect<void, StorageError | ValidationError> =>
  Effect.suspend((): Effect.Effect<void, StorageError | ValidationError> => {
    let fd: number
    try {
      fd = fs.openSync(path, "r")
    } catch (cause) {
      return Effect.fail(new StorageError({ message: `Cannot open ${path}: ${errorText(cause)}`, path, cause }))
    }
    try {
      const size = fs.fstatSync(fd).size
      for (let at = 0; at + 8 <= size; at = at === 0 ? 512 : at * 2) {
        const head = readAt(fd, at, 96)
        if (!SIGNATURE.every((b, i) => head[i] === b)) continue
        const version = head[8]
        let offsets: number, eofAt: number, baseAt: number
        if (version === 0 || version === 1) {
          offsets = head[13]
          baseAt = version === 0 ? 24 : 28
          eofAt = baseAt + 2 * offsets
        } else if (version === 2 || version === 3) {
          offsets = head[9]
          baseAt = 12
          eofAt = baseAt + 2 * offsets
        } else {
          return Effect.fail(new ValidationError({ message: `${path}: unsupported HDF5 superblock version ${version}` }))
        }
        if (![2, 4, 8].includes(offsets) || head.length < eofAt + offsets) {
          return Effect.fail(new ValidationError({ message: `${path} is corrupted: invalid HDF5 superblock` }))
        }
        const base = readUint(head, baseAt, offsets)
        const eof = readUint(head, eofAt, offsets)
        if (base + eof > BigInt(size)) {
          return Effect.fail(new ValidationError({
            message: `${path} is truncated or corrupted: its HDF5 superblock says it ends at byte ${base + eof} ` +
              `but the file has ${size} bytes (was the copy or download interrupted?)`
          }))
        }
        return Effect.void
      }
      return Effect.fail(new ValidationError({ message: `${path} is not an HDF5 file (no HDF5 signature found)` }))
    } catch (cause) {
      return Effect.fail(new StorageError({ message: `Cannot read ${path}: ${errorText(cause)}`, path, cause }))
    } finally {
      fs.closeSync(fd)
    }
  })
