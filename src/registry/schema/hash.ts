/**
 * LaminDB's schema hash: the defining parts of a schema as a sorted list of `code=value`
 * strings, joined by `:` and hashed with `hash_string`. Two definitions with the same hash are
 * the same schema, so creating one again returns the existing record.
 *
 * Follows `Schema._validate_kwargs_calculate_hash` in LaminDB's `lamindb/models/schema.py`
 * (laminlabs/lamindb): codes a dtype, b itype, c minimal_set, d ordered_set, e maximal_set
 * (always), f flexible (only when not its default), g coerce_dtype (only when true), h n (only
 * when there are features), j the feature list, k index feature uid, l slots. Details that
 * matter for equality with LaminDB's hashes:
 * - the index feature is the first entry of the feature list (and counts in `n`), besides `k`;
 * - an optional member enters the feature list as `uid(i)` — there is no separate `i=` part;
 * - the feature list is sorted unless `ordered_set`;
 * - slots hash as the sorted `slot=componentHash` strings (sorted as whole strings);
 * - dtype defaults to `num` unless the itype is `Feature` (composites too);
 * - booleans print as Python does (`True`/`False`).
 * LaminDB's built-in schemas (its `KNOWN_SCHEMAS`) are test vectors in test/registry/schemaHash.test.ts.
 *
 * @module
 */
import { hashString } from "../../storage/hash.js"

/** What the schema hash covers. */
export interface SchemaHashInput {
  /** The dtype as given (null: LaminDB's default, `num` unless the itype is `Feature`). */
  readonly dtype: string | null
  readonly itype: string | null
  readonly minimal_set: boolean
  readonly ordered_set: boolean
  readonly maximal_set: boolean
  readonly flexible: boolean
  readonly coerce: boolean
  /** Member feature uids, in member order (the index feature excluded). */
  readonly memberUids: ReadonlyArray<string>
  /** Uids of the members that are optional. */
  readonly optionalUids: ReadonlyArray<string>
  readonly indexUid: string | null
  /** Slot name → component schema hash. */
  readonly slots: Readonly<Record<string, string>>
}

const py = (b: boolean): string => (b ? "True" : "False")

/** LaminDB's default of `flexible`: true only for a schema that lists no features (an index counts as one). */
export const flexibleDefault = (memberCount: number, hasIndex: boolean): boolean => memberCount === 0 && !hasIndex

const codeUnitOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

/** The schema hash of a definition. */
export const schemaHash = (s: SchemaHashInput): string => {
  // LaminDB puts the index feature first in the feature list.
  const features = s.indexUid === null ? [...s.memberUids] : [s.indexUid, ...s.memberUids]
  const optional = new Set(s.optionalUids)
  const dtype = s.dtype ?? (s.itype === "Feature" ? null : "num")
  const parts: Array<string> = []
  if (dtype !== null) parts.push(`a=${dtype}`)
  if (s.itype !== null) parts.push(`b=${s.itype}`)
  parts.push(`c=${py(s.minimal_set)}`, `d=${py(s.ordered_set)}`, `e=${py(s.maximal_set)}`)
  if (s.flexible !== flexibleDefault(s.memberUids.length, s.indexUid !== null)) parts.push(`f=${py(s.flexible)}`)
  if (s.coerce) parts.push(`g=True`)
  if (features.length > 0) parts.push(`h=${features.length}`)
  if (s.indexUid !== null) parts.push(`k=${s.indexUid}`)
  if (features.length > 0) {
    const listed = features.map((uid) => (optional.has(uid) ? `${uid}(i)` : uid))
    // Member order matters only for ordered schemas; otherwise the set is what counts.
    parts.push(`j=${hashString((s.ordered_set ? listed : listed.sort(codeUnitOrder)).join(":"))}`)
  }
  const slots = Object.entries(s.slots).map(([k, h]) => `${k}=${h}`)
  if (slots.length > 0) parts.push(`l=${hashString(slots.sort(codeUnitOrder).join(":"))}`)
  return hashString(parts.sort(codeUnitOrder).join(":"))
}
