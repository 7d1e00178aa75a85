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

/** Words that run the word after them as the program (`env FOO=1 tool`, `nohup tool`, `time tool`). */
const PREFIXES = new Set(["env", "exec", "nohup", "time", "nice", "command", "xargs"])

/**
 * The program words of a command: the first word of an argument list, and in a shell line the
 * first word of each of its commands (after `&&`, `;`, `|`, `$(`, …), past variable assignments
 * (`LC_ALL=C sort`) and prefix commands (`env`, `nohup`, `time`).
 */
export const programWords = (words: ReadonlyArray<string>): ReadonlyArray<string> => {
  const found = new Set<string>()
  if (words[0] !== undefined && !/\s/.test(words[0])) found.add(words[0])
  for (const line of words.filter((w) => /\s/.test(w))) {
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
