/**
 * Arrow IPC (`.arrow`, `.feather` = Feather v2, which is the IPC file format) ⇄ Arrow tables.
 *
 * @module
 */
import { Effect } from "effect"
import { type Table, tableFromIPC, tableToIPC } from "apache-arrow"
import { InvalidArgument, StorageError, ValidationError } from "../../errors.js"
import { errorText, readFileBytes, writeFileAtomic } from "../atomic.js"

/** Options for {@link writeArrowIpc}. */
export interface WriteArrowIpcOptions {
  /** `"file"` (random access, what `.arrow`/`.feather` readers expect; default) or `"stream"`. */
  readonly format?: "file" | "stream"
}

/** Writes `table` to `path` in the Arrow IPC file format (atomically). */
export const writeArrowIpc = (
  table: Table,
  path: string,
  options: WriteArrowIpcOptions = {}
): Effect.Effect<void, InvalidArgument | StorageError> =>
  Effect.try({
    try: () => tableToIPC(table, options.format ?? "file"),
    catch: (cause) => new InvalidArgument({ message: `Cannot encode the table as Arrow IPC: ${errorText(cause)}` })
  }).pipe(Effect.flatMap((bytes) => writeFileAtomic(path, bytes)))

/** Decodes Arrow IPC bytes (file or stream format). */
export const tableFromArrowIpc = (
  bytes: Uint8Array,
  source = "<bytes>"
): Effect.Effect<Table, ValidationError> =>
  Effect.try({
    try: () => {
      const table = tableFromIPC(bytes)
      // apache-arrow returns an empty table for bytes without any IPC message.
      if (table.schema.fields.length === 0 && bytes.byteLength > 0 && !looksLikeIpc(bytes)) {
        throw new Error("no Arrow IPC schema message found")
      }
      return table
    },
    // apache-arrow reads damaged bytes until it dereferences garbage: its TypeError text
    // ("Cannot read properties of null …") tells a user nothing.
    catch: (cause) =>
      new ValidationError({
        message: `${source} is not a readable Arrow IPC file: ${cause instanceof TypeError || cause instanceof RangeError ? "its content is damaged or truncated" : errorText(cause)}`
      })
  })

const ARROW_MAGIC = [0x41, 0x52, 0x52, 0x4f, 0x57, 0x31] // "ARROW1"
const looksLikeIpc = (bytes: Uint8Array): boolean =>
  ARROW_MAGIC.every((b, i) => bytes[i] === b) ||
  (bytes.byteLength >= 4 && bytes[0] === 0xff && bytes[1] === 0xff && bytes[2] === 0xff && bytes[3] === 0xff)

/** Reads an Arrow IPC file (`.arrow`, `.feather`, or an IPC stream) into a table. */
export const readArrowIpc = (path: string): Effect.Effect<Table, StorageError | ValidationError> =>
  Effect.flatMap(readFileBytes(path), (bytes) => tableFromArrowIpc(bytes, path))
