/**
 * A rule's source, cut from the Snakefile: from `rule NAME:` (or `checkpoint NAME:`) to the next
 * line back at the rule's indentation. The transform of a rule is versioned by this text.
 *
 * @module
 */

/** Every rule's text in a Snakefile, by rule name. */
export const ruleSources = (snakefile: string): ReadonlyMap<string, string> => {
  const out = new Map<string, string>()
  const lines = snakefile.split("\n")
  for (let i = 0; i < lines.length; i++) {
    const m = /^(\s*)(?:rule|checkpoint)\s+(\w+)\s*:/.exec(lines[i]!)
    if (m === null) continue
    const indent = m[1]!.length
    let j = i + 1
    for (; j < lines.length; j++) {
      const l = lines[j]!
      if (l.trim() === "") continue
      if (l.length - l.trimStart().length <= indent) break
    }
    let end = j
    while (end > i + 1 && lines[end - 1]!.trim() === "") end--
    out.set(m[2]!, lines.slice(i, end).join("\n") + "\n")
  }
  return out
}
