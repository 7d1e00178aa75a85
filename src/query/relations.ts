/**
 * How filter keys walk between registries: forward relations and links come from the models
 * (`src/registry/*`); this module adds reverse foreign keys under LaminDB's related names
 * (`Transform.runs`, `Run.output_artifacts`, …) and LaminDB's key aliases (`transform` on
 * Artifact means `run__transform`).
 *
 * @module
 */
import { models, type LinkRelation, type Model, type Relation } from "../registry/model.js"

/** A reverse foreign key: rows of `model` whose `column` points at this record. */
export interface ReverseRelation {
  readonly model: string
  readonly column: string
}

/** One step of a path between registries. */
export type Step =
  | { readonly _tag: "Forward"; readonly name: string; readonly relation: Relation }
  | { readonly _tag: "Link"; readonly name: string; readonly link: LinkRelation }
  | { readonly _tag: "Reverse"; readonly name: string; readonly reverse: ReverseRelation }

const reverse = new Map<string, Map<string, ReverseRelation>>()
const aliases = new Map<string, Map<string, ReadonlyArray<string>>>()

/** Declare `modelName.name` as the reverse of `model.column` (e.g. `Transform.runs` ← `Run.transform_id`). */
export const registerReverseRelation = (modelName: string, name: string, relation: ReverseRelation): void => {
  const m = reverse.get(modelName) ?? new Map<string, ReverseRelation>()
  m.set(name, relation)
  reverse.set(modelName, m)
}

/** Declare `alias` on `modelName` as shorthand for a path (`transform` → `run__transform`). */
export const registerAlias = (modelName: string, alias: string, path: string): void => {
  const m = aliases.get(modelName) ?? new Map<string, ReadonlyArray<string>>()
  m.set(alias, path.split("__"))
  aliases.set(modelName, m)
}

registerReverseRelation("Run", "output_artifacts", { model: "Artifact", column: "run_id" })
registerReverseRelation("Run", "initiated_runs", { model: "Run", column: "initiated_by_run_id" })
registerReverseRelation("Transform", "runs", { model: "Run", column: "transform_id" })
registerReverseRelation("Storage", "artifacts", { model: "Artifact", column: "storage_id" })
registerReverseRelation("User", "created_artifacts", { model: "Artifact", column: "created_by_id" })
registerReverseRelation("User", "created_runs", { model: "Run", column: "created_by_id" })
registerReverseRelation("User", "created_transforms", { model: "Transform", column: "created_by_id" })
registerReverseRelation("User", "created_storages", { model: "Storage", column: "created_by_id" })
registerAlias("Artifact", "transform", "run__transform")

/** Expand a leading alias (`transform__key` → `run__transform__key`). */
export const expandAlias = (model: Model, parts: ReadonlyArray<string>): ReadonlyArray<string> => {
  const target = aliases.get(model.name)?.get(parts[0]!)
  return target === undefined ? parts : [...target, ...parts.slice(1)]
}

/** The relation step named `name` on `model`, if any. */
export const stepOf = (model: Model, name: string): Step | undefined => {
  const relation = model.relations[name]
  if (relation !== undefined) return { _tag: "Forward", name, relation }
  const link = model.links[name]
  if (link !== undefined) return { _tag: "Link", name, link }
  const rev = reverse.get(model.name)?.get(name)
  if (rev !== undefined) return { _tag: "Reverse", name, reverse: rev }
  return undefined
}

/** The registry a step leads to. */
export const targetModelName = (step: Step): string =>
  step._tag === "Forward" ? step.relation.model : step._tag === "Link" ? step.link.model : step.reverse.model

/** The loaded model named `name`, if its module has been imported. */
export const modelNamed = (name: string): Model | undefined => models.get(name)

/** Every name a filter key may start with on `model`: fields, relations, links, reverse relations, aliases. */
export const availableNames = (model: Model): ReadonlyArray<string> =>
  [
    ...Object.keys(model.fields),
    ...Object.keys(model.relations),
    ...Object.keys(model.links),
    ...(reverse.get(model.name)?.keys() ?? []),
    ...(aliases.get(model.name)?.keys() ?? [])
  ].sort()
