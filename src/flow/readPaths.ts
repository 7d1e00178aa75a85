/**
 * Files a step's code reads by a literal name: `readFileSync("data/raw.csv")`,
 * `readParquet('counts.parquet')`, `createReadStream("in.fastq")`. Editing such a file is a change
 * of the step's input as much as a param naming it is, so each enters its run's key files
 * (tracker/fileParams.ts): signed when the run ends, checked again on a hit. Only the first
 * argument of a call whose name starts with `read` (`readFile`, `read_csv`, `readTable`) or of
 * `createReadStream` counts: a name the code writes to, logs or builds is not read here, and a
 * file the step itself writes must not make every later call a miss.
 *
 * @module
 */

// A call's literal first argument: a quoted string without escapes or interpolation. A call of an
// import compiled to `(0, fs_1.readFileSync)("…")` (tsc's CommonJS, vitest) has a `)` before it.
const READ_CALL = /(?<![\p{ID_Continue}$])(?:read\p{ID_Continue}*|createReadStream)\s*\)?\s*\(\s*(["'\x60])([^"'\x60\\$\n]+)\1/gu

/** The literal names of files `code` reads (in order, each once); resolved against the working directory when keyed, as the call resolves them. */
export const pathsReadBy = (code: string): ReadonlyArray<string> => {
  // Most functions read no file by name: no pattern run for them.
  if (!code.includes("read") && !code.includes("Read")) return []
  const paths = new Set<string>()
  for (const m of code.matchAll(READ_CALL)) paths.add(m[2]!)
  return [...paths]
}
