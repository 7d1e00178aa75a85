/**
 * The programs a command line starts that it names without a folder (`filter_reads in.fq`,
 * `samtools sort …`), found on the `PATH` as the system finds them: a pipeline's own scripts
 * often live in a `bin/` folder put on the `PATH` (Nextflow's convention), so the command line
 * names them only by name, and an edit of one ran the old result back. Found, such a program is
 * keyed like one named by its path; an installed tool found this way is keyed too, so upgrading
 * it is a miss.
 *
 * @module
 */
import * as path from "node:path"
import { statUntraced } from "../storage/ownWork.js"

/** Words that join or group the commands of a shell line: the word after one starts a command. */
const OPERATOR = /^(?:&&|\|\||;|\||&|\(|\)|\{|\}|!|then|do|else|elif|\$\(|`)$/

/** Whether `word` (a command line split at its spaces) ends a command of a shell line: an operator, or a word with one glued to its end (`build;`). */
export const endsCommand = (word: string): boolean => OPERATOR.test(word) || /[;&|]$/.test(word)

/** Words that run the word after them as the program (`env FOO=1 tool`, `nohup tool`, `time tool`). */
const PREFIXES = new Set(["env", "exec", "nohup", "time", "nice", "command", "xargs"])

/** Shells whose `-c` argument is a command line. */
const SHELLS = new Set(["sh", "bash", "dash", "zsh", "ksh"])

/**
 * The program words of a command (`words`: an argument list, or one shell line as `exec` takes
 * it): the first word of an argument list, and in a shell line, the one `exec` takes or the one a
 * shell gets with `-c`, the first word of each of its commands (after `&&`, `;`, `|`, `$(`, …),
 * past variable assignments (`LC_ALL=C sort`) and prefix commands (`env`, `nohup`, `time`).
 */
export const programWords = (words: ReadonlyArray<string>): ReadonlyArray<string> => {
  const [first] = words
  if (first === undefined) return []
  if (words.length === 1 && /\s/.test(first)) return lineProgramWords(first)
  const found = new Set([first])
  if (SHELLS.has(path.basename(first)))
    for (let k = 1; k < words.length - 1; k++) if (/^-\w*c\w*$/.test(words[k]!)) for (const word of lineProgramWords(words[k + 1]!)) found.add(word)
  return [...found]
}

/** The first word of each command of the shell line `line`. */
const lineProgramWords = (line: string): ReadonlyArray<string> => {
  const found = new Set<string>()
  // Operators glued to words (`a;b`, `$(tool`, `x|y`) split off as words of their own.
  const tokens = line.split(/(&&|\|\||[;|&()`{}]|\$\()|\s+/).filter((t): t is string => t !== undefined && t !== "")
  let start = true
  for (const raw of tokens) {
    const token = raw.replace(/^(["'])(.*)\1$/, "$2")
    if (OPERATOR.test(token)) {
      start = true
      continue
    }
    if (!start) continue
    // `NAME=value` before a command, a prefix command or its options: the command is further on.
    if (/^\w+=/.test(token) || PREFIXES.has(token) || token.startsWith("-")) continue
    found.add(token)
    start = false
  }
  return [...found]
}

/**
 * Where the program `name` (no folder in it) is found on `searchPath` (a `PATH` value, its relative
 * entries from `cwd`): the first regular file there that anyone may run; undefined when none is.
 */
export const onPath = (name: string, searchPath: string | undefined, cwd: string): string | undefined => {
  if (name === "" || name.includes("/") || searchPath === undefined) return undefined
  for (const folder of searchPath.split(path.delimiter)) {
    if (folder === "") continue
    const file = path.resolve(cwd, folder, name)
    const stat = statUntraced(file)
    if (stat?.isFile() === true && (stat.mode & 0o111) !== 0) return file
  }
  return undefined
}

/**
 * The program a `#!` line runs (`#!/usr/bin/python3` → `/usr/bin/python3`; through `env`, the
 * first word after its options and settings: `#!/usr/bin/env -S PYTHONUNBUFFERED=1 python3 -u`
 * → `python3`), or undefined for a line that is none.
 */
export const shebangProgram = (line: string): string | undefined => {
  if (!line.startsWith("#!")) return undefined
  const words = line.slice(2).trim().split(/\s+/)
  return /(?:^|\/)env$/.test(words[0] ?? "") ? words.slice(1).find((w) => !w.startsWith("-") && !w.includes("=")) : words[0] || undefined
}
