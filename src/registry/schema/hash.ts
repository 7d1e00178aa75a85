/**
 * LaminDB's schema hash: the defining parts of a schema as a sorted list of `code=value`
 * strings, joined by `:` and hashed with `hash_string`. Two definitions with the same hash are
 * the same schema, so creating one again returns the existing record.
 *
 * Codes (LaminDB's): a dtype, b itype, c minimal_set, d ordered_set, e maximal_set,
 * f flexible (only when not the default), g coerce, h n_members, i optional members, j member
 * feature uids, k index feature uid, l slots. Booleans print as Python does (`True`/`False`).
 *
 * @module
 */
import { hashString } from "../../storage/hash.js"

/** What the schema hash covers. */
export interface SchemaHashInput {
  readonly dtype: string | null
  readonly itype: string | null
  readonly minimal_set: boolean
  readonly ordered_set: boolean
  readonly maximal_set: boolean
  readonly flexible: boolean
  /** The default of `flexible` for this definition (true when it lists no members). */
  readonly flexibleDefault: boolean
  readonly coerce: boolean
  readonly n_members: number | null
  readonly memberUids: ReadonlyArray<string>
  readonly optionalUids: ReadonlyArray<string>
  readonly indexUid: string | null
  /** Slot name → component schema hash. */
  readonly slots: Readonly<Record<string, string>>
}

const py = (b: boolean): string => (b ? "True" : "False")

/** The schema hash of a definition. */
export const schemaHash = (s: SchemaHashInput): string => {
  const parts: Array<string> = []
  if (s.dtype !== null) parts.push(`a=${s.dtype}`)
  if (s.itype !== null) parts.push(`b=${s.itype}`)
  parts.push(`c=${py(s.minimal_set)}`, `d=${py(s.ordered_set)}`, `e=${py(s.maximal_set)}`)
  if (s.flexible !== s.flexibleDefault) parts.push(`f=${py(s.flexible)}`)
  parts.push(`g=${py(s.coerce)}`)
  if (s.n_members !== null) parts.push(`h=${s.n_members}`)
  if (s.optionalUids.length > 0) parts.push(`i=${hashString([...s.optionalUids].sort().join(":"))}`)
  // Member order matters only for ordered schemas; otherwise the set is what counts.
  if (s.memberUids.length > 0) parts.push(`j=${hashString((s.ordered_set ? [...s.memberUids] : [...s.memberUids].sort()).join(":"))}`)
  if (s.indexUid !== null) parts.push(`k=${s.indexUid}`)
  const slots = Object.entries(s.slots).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  if (slots.length > 0) parts.push(`l=${hashString(slots.map(([k, h]) => `${k}=${h}`).join(":"))}`)
  return hashString(parts.sort().join(":"))
}
