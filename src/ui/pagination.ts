/**
 * Keyset pagination over any QuerySet: the page after a cursor is a filter on the sort field
 * and `id` (never an OFFSET), so page 10,000 costs what page 1 costs when the field is indexed.
 *
 * NULLs sort as the smallest value on both dialects (the query compiler says NULLS FIRST/LAST on
 * Postgres to match SQLite), so the cursor conditions treat them that way.
 *
 * @module
 */
import { Effect } from "effect"
import { InvalidArgument, Q, type Condition, type QuerySet } from "../index.js"
import type { OrderKey } from "../query/types.js"
import type { Model } from "../registry/model.js"

/** Where the previous page ended: the sort field's value and the id of its last record. */
interface Cursor {
  readonly v: string | number | boolean | null
  readonly id: number
}

/** A sort: field and direction; `id` always breaks ties in the same direction. */
export interface Sort {
  readonly field: string
  readonly desc: boolean
}

/** Parse `-created_at` / `key` against the allowed fields. */
export const parseSort = (text: string | undefined, allowed: ReadonlyArray<string>, fallback: string): Effect.Effect<Sort, InvalidArgument> => {
  const t = text ?? fallback
  const desc = t.startsWith("-")
  const field = desc ? t.slice(1) : t
  return allowed.includes(field)
    ? Effect.succeed({ field, desc })
    : Effect.fail(new InvalidArgument({ message: `Cannot sort by '${t}': use one of ${allowed.flatMap((f) => [f, `-${f}`]).join(", ")}.` }))
}

/** The opaque cursor after `record` (base64url JSON). */
export const cursorAfter = (record: { readonly id: number }, sort: Sort): string => {
  const raw = (record as unknown as Readonly<Record<string, unknown>>)[sort.field]
  const v = raw instanceof Date ? raw.toISOString() : raw === undefined ? null : (raw as Cursor["v"])
  return Buffer.from(JSON.stringify({ v, id: record.id })).toString("base64url")
}

const decodeCursor = (text: string): Effect.Effect<Cursor, InvalidArgument> =>
  Effect.try({
    try: () => {
      const c = JSON.parse(Buffer.from(text, "base64url").toString("utf8")) as Partial<Cursor>
      if (typeof c !== "object" || c === null || !Number.isInteger(c.id) || !("v" in c)) throw new Error("bad shape")
      const v = c.v
      if (v !== null && typeof v !== "string" && typeof v !== "number" && typeof v !== "boolean") throw new Error("bad value")
      return { v, id: c.id as number }
    },
    catch: () => new InvalidArgument({ message: `'${text}' is not a page cursor: use the 'next' value of the previous page.` })
  })

/** Records strictly after the cursor in `sort` order. */
const afterCondition = (sort: Sort, c: Cursor): object => {
  const { field: f } = sort
  if (f === "id") return Q.and({ [sort.desc ? "id__lt" : "id__gt"]: c.id })
  const idStep = { [sort.desc ? "id__lt" : "id__gt"]: c.id }
  if (c.v === null)
    // NULLs are the smallest: descending, only later NULLs remain; ascending, every non-NULL follows.
    return sort.desc ? Q.and({ [`${f}__isnull`]: true, ...idStep }) : Q.or({ [`${f}__isnull`]: true, ...idStep }, { [`${f}__isnull`]: false })
  const beyond = { [`${f}__${sort.desc ? "lt" : "gt"}`]: c.v }
  const tie = { [f]: c.v, ...idStep }
  return sort.desc ? Q.or(beyond, tie, { [`${f}__isnull`]: true }) : Q.or(beyond, tie)
}

/** One page: `limit` records after `cursor` in `sort` order, and the cursor of the next page. */
export const page = <A extends { readonly id: number }, M extends Model>(
  qs: QuerySet<A, M>,
  sort: Sort,
  limit: number,
  cursor: string | undefined
) =>
  Effect.gen(function* () {
    const order = sort.field === "id" ? [sort.desc ? "-id" : "id"] : [sort.desc ? `-${sort.field}` : sort.field, sort.desc ? "-id" : "id"]
    // Keys come from the allowed list: the query compiler checks them again at run time.
    let q = qs.orderBy(...(order as unknown as ReadonlyArray<OrderKey<M>>))
    if (cursor !== undefined) q = q.filter(afterCondition(sort, yield* decodeCursor(cursor)) as Condition<M>)
    const rows = yield* q.slice(0, limit + 1).toArray()
    const items = rows.slice(0, limit)
    return { items, next: rows.length > limit ? cursorAfter(items[items.length - 1]!, sort) : null }
  })
