/**
 * What a script a step's body ran reads by names its text holds, for the run's key files: the
 * command line `sh scripts/run.sh data/s1.csv` names `run.sh`, but `run.sh` calls
 * `python3 "$DIR/score.py"`, which imports `helpers.py`; an edit of either ran the old result back.
 *
 * - A Python script (`.py`, or a `#!` line naming Python): the project modules it imports
 *   (tracker/pythonImports.ts).
 * - A shell script (`.sh`, `.bash`, or a `sh`/`bash` first line): the words of its text that may
 *   name files (`scripts/score.py`, `"$DIR/lib.sh"`, `config.yaml`) and name a regular file now,
 *   from the script's folder, the first script's or the working directory; a word after a
 *   variable (`$DIR/…`, `$(dirname "$0")/…`) is tried from them too.
 * - An R script (`.R`): the files its `source("R/helpers.R")` calls name, from the same folders.
 *
 * The scripts among the files found are followed in turn.
 *
 * Read from the text, not by running it: a word in a comment or an `echo` counts too, which at
 * worst keys a file the script never reads; a name the script builds at run time is not seen.
 *
 * @module
 */
import * as path from "node:path"
import { isFileUntraced as isFile, statUntraced, textUntraced as textOf } from "../storage/ownWork.js"
import { looksLikePath } from "./pathLike.js"
import { pythonImportsOf } from "./pythonImports.js"
import { isPythonScript } from "./pythonSite.js"

/** A file a script reads by a name in its text: a Python module it imports, or a file a shell script names. */
export interface ScriptRead {
  readonly file: string
  readonly imported: boolean
}

/** At most this many files are followed from one script. */
const MAX_FILES = 500

const SHELL_LINE = /^#!.*\b(?:sh|bash|dash|zsh)\b/

// `source("R/helpers.R")`, `sys.source('x.R', …)`.
const R_SOURCE = /\b(?:sys\.)?source\(\s*(["'])([^"'\n]+)\1/g

// Runs of characters a file name holds, between a shell's spaces, quotes, operators and `$(…)`;
// a variable in front (`$DIR/score.py`) is dropped below.
const WORD = /[\w.\-/+@%~$]+/g
const LEADING_VARIABLE = /^\$\w*/

/** An extensionless file larger than this is not read to see whether it is a shell script (a data file named on a command line). */
const MAX_SCRIPT_BYTES = 256 * 1024

/** The text of `file` when it is a shell script: `.sh`, `.bash`, or a small extensionless file starting `#!/bin/sh` (or bash…). */
const shellText = (file: string): string | undefined => {
  const named = /\.(?:sh|bash)$/.test(file)
  if (!named && (path.extname(file) !== "" || (statUntraced(file)?.size ?? Infinity) > MAX_SCRIPT_BYTES)) return undefined
  const text = textOf(file)
  return text !== undefined && (named || SHELL_LINE.test(text.slice(0, 200))) ? text : undefined
}

/** The regular files the words of the shell script `script` (text `text`) may name, from `folders`. */
const shellNames = (script: string, text: string, folders: ReadonlyArray<string>): ReadonlyArray<string> => {
  const found = new Set<string>()
  for (const [match] of text.matchAll(WORD)) {
    const word = match.replace(LEADING_VARIABLE, "")
    if (!looksLikePath(word) || word === "/" || word.includes("$")) continue
    // `$DIR/score.py` leaves `/score.py`: tried from the folders too.
    const candidates = path.isAbsolute(word) ? [word, ...folders.map((f) => path.join(f, word))] : folders.map((f) => path.resolve(f, word))
    for (const file of candidates) if (file !== script && !found.has(file) && isFile(file)) found.add(file)
  }
  return [...found]
}

/** The regular files the R script `script` (text `text`) sources, from `folders`. */
const rSources = (script: string, text: string, folders: ReadonlyArray<string>): ReadonlyArray<string> => {
  const found = new Set<string>()
  for (const m of text.matchAll(R_SOURCE)) for (const file of folders.map((f) => path.resolve(f, m[2] ?? ""))) if (file !== script && isFile(file)) found.add(file)
  return [...found]
}

/**
 * The files the script `script` reads by names in its text, and those its scripts read in turn
 * (Python modules also from the folders of `pythonPath`, the `PYTHONPATH` it ran with); none for
 * another file.
 */
export const scriptReadsOf = (script: string, pythonPath: ReadonlyArray<string> = []): ReadonlyArray<ScriptRead> => {
  const out = new Map<string, ScriptRead>()
  const queue = [script]
  for (let file = queue.shift(); file !== undefined && out.size < MAX_FILES; file = queue.shift()) {
    if (isPythonScript(file)) {
      for (const module of pythonImportsOf(file, pythonPath)) if (!out.has(module) && module !== script) out.set(module, { file: module, imported: true })
      continue
    }
    const r = /\.[Rr]$/.test(file) ? textOf(file) : undefined
    const shell = r === undefined ? shellText(file) : undefined
    // Relative names are the working directory's (R's `source`), or the script's folder, or the first script's (run from there).
    const folders = [...new Set([path.dirname(file), path.dirname(script), process.cwd()])]
    const names = r !== undefined ? rSources(file, r, folders) : shell !== undefined ? shellNames(file, shell, folders) : []
    for (const named of names)
      if (!out.has(named) && named !== script) {
        out.set(named, { file: named, imported: false })
        queue.push(named)
      }
  }
  return [...out.values()]
}
