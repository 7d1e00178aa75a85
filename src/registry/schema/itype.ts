/**
 * A schema's `itype`: what its members are. `Feature` — the dataset's columns are features;
 * or a registry field whose values a dataset's index holds — `ULabel.name`,
 * `Record[Gene].name` (the names of records of type "Gene", e.g. Ensembl ids), `Record.uid`.
 * LaminDB writes the latter as `bionty.Gene.ensembl_gene_id`; Lamina's genes are records.
 *
 * @module
 */
import { InvalidArgument } from "../../errors.js"
import type { LabelRegistry } from "../feature/dtype.js"

/** A parsed itype. */
export type Itype =
  | { readonly _tag: "Feature" }
  | { readonly _tag: "Field"; readonly registry: LabelRegistry; readonly type?: string; readonly field: "name" | "uid" }

const FIELD = /^(ULabel|Record)(?:\[([^[\]]+)\])?(?:\.(name|uid))?$/

/** Parse an itype; `InvalidArgument` naming the accepted spellings otherwise. */
export const parseItype = (text: string): Itype => {
  const t = text.trim()
  if (t === "Feature") return { _tag: "Feature" }
  const m = FIELD.exec(t)
  if (m === null)
    throw new InvalidArgument({
      message: `Invalid itype '${text}'. Use 'Feature' (columns are features) or a registry field such as 'ULabel.name', 'Record[Gene].name' or 'Record.uid'.`
    })
  return {
    _tag: "Field",
    registry: m[1] as LabelRegistry,
    ...(m[2] !== undefined ? { type: m[2].trim() } : {}),
    field: (m[3] ?? "name") as "name" | "uid"
  }
}

/** The canonical text of an itype. */
export const itypeText = (i: Itype): string =>
  i._tag === "Feature" ? "Feature" : `${i.registry}${i.type === undefined ? "" : `[${i.type}]`}.${i.field}`
