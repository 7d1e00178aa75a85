/**
 * Text trees as `describe` prints them (LaminDB's `describe()` layout): a title, then
 * `├──`/`└──` rows of aligned `label: value` pairs; also short human sizes.
 *
 * @module
 */

/** Bytes as a short human size. */
export const formatSize = (bytes: number | null): string => {
  if (bytes === null) return "–"
  const units = ["B", "KB", "MB", "GB", "TB"]
  let v = bytes
  let u = 0
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000
    u++
  }
  return u === 0 ? `${v} B` : `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`
}

/** A row of a {@link tree}: `label: value`, optionally with child rows drawn below it. */
export type TreeRow = readonly [label: string, value: string, children?: ReadonlyArray<TreeRow>]

const treeLines = (rows: ReadonlyArray<TreeRow>, indent: string, colon: boolean): Array<string> => {
  // `label: value` rows align after the colon; child rows (`name  type`) keep two spaces
  const width = Math.max(0, ...rows.map(([k]) => k.length + 1))
  return rows.flatMap(([k, v, children], i) => {
    const last = i === rows.length - 1
    const label = colon ? `${k}:` : k
    const line = `${indent}${last ? "└──" : "├──"} ${v === "" ? label : `${label.padEnd(width)} ${v}`}`
    return [line, ...(children === undefined ? [] : treeLines(children, `${indent}${last ? "    " : "│   "}`, false))]
  })
}

/**
 * A tree: a title line, then `├──`/`└──` rows of aligned `label: value` pairs; a row's children
 * (aligned `name value` pairs, e.g. the columns of a table) hang below it.
 */
export const tree = (title: string, rows: ReadonlyArray<TreeRow>, options: { readonly colon?: boolean } = {}): string =>
  [title, ...treeLines(rows, "", options.colon ?? true)].join("\n")
