/**
 * How filter keys walk between registries. Everything comes from the compiled models
 * (`src/schema/`): forward relations, links (declared or derived from the other side),
 * reverse foreign keys under LaminDB's related names and key aliases.
 *
 * @module
 */
import type { LinkRelation, Model, Relation, ReverseRelation } from "../schema/model.js"

/** One step of a path between registries. */
export type Step =
  | { readonly _tag: "Forward"; readonly name: string; readonly relation: Relation }
  | { readonly _tag: "Link"; readonly name: string; readonly link: LinkRelation }
  | { readonly _tag: "Reverse"; readonly name: string; readonly reverse: ReverseRelation }

/** Expand a leading alias (`transform__key` → `run__transform__key`). */
export const expandAlias = (model: Model, parts: ReadonlyArray<string>): ReadonlyArray<string> => {
  const target = model.aliases[parts[0]!]
  return target === undefined ? parts : [...target, ...parts.slice(1)]
}

/** The relation step named `name` on `model`, if any. */
export const stepOf = (model: Model, name: string): Step | undefined => {
  const relation = model.relations[name]
  if (relation !== undefined) return { _tag: "Forward", name, relation }
  const link = model.links[name]
  if (link !== undefined) return { _tag: "Link", name, link }
  const rev = model.reverse[name]
  if (rev !== undefined) return { _tag: "Reverse", name, reverse: rev }
  return undefined
}

/** The registry a step leads to. */
export const targetOf = (step: Step): Model =>
  step._tag === "Forward" ? step.relation.target() : step._tag === "Link" ? step.link.target() : step.reverse.target()

/**
 * Every public name a filter key may start with on `model`: fields (private `_…` ones are
 * left out, though they stay filterable), computed fields, enum keys, relations, links,
 * reverse relations, aliases.
 */
export const availableNames = (model: Model): ReadonlyArray<string> =>
  [
    ...Object.keys(model.fields).filter((f) => !f.startsWith("_")),
    ...Object.keys(model.computed),
    ...Object.keys(model.enums),
    ...Object.keys(model.relations),
    ...Object.keys(model.links),
    ...Object.keys(model.reverse),
    ...Object.keys(model.aliases)
  ].sort()

/** Edit distance counting a swap of neighbours as one edit (optimal string alignment). */
const distance = (a: string, b: string): number => {
  const d: Array<Array<number>> = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)))
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1)
      d[i]![j] = v
    }
  return d[a.length]![b.length]!
}

/** The closest of `candidates` to `name` (edit distance at most a third of its length, ≥ 1), if any. */
export const closest = (name: string, candidates: ReadonlyArray<string>): string | undefined => {
  let best: string | undefined
  let bestD = Math.max(1, Math.floor(name.length / 3)) + 1
  for (const c of candidates) {
    const d = distance(name.toLowerCase(), c.toLowerCase())
    if (d < bestD) {
      best = c
      bestD = d
    }
  }
  return best
}

/** " Did you mean 'x'?" for the first name with a close match, else "". */
export const didYouMean = (names: ReadonlyArray<string>, candidates: ReadonlyArray<string>): string => {
  for (const n of names) {
    const c = closest(n, candidates)
    if (c !== undefined) return ` Did you mean '${c}'?`
  }
  return ""
}
