/**
 * Read access shared by every registry: `filter`/`exclude` (lazy QuerySets), `search` (ranked,
 * LaminDB's rules), `all`, and `get` (by uid or fields).
 *
 * @module
 */
import { Effect } from "effect"
import { DoesNotExist, InvalidArgument } from "../errors.js"
import { QuerySet } from "../query/QuerySet.js"
import type { SearchOptions } from "../query/state.js"
import type { Condition, FilterSpec } from "../query/types.js"
import type { Model, Row } from "./model.js"
import { isBase62 } from "./uid.js"

/**
 * Why `uidOrFields` is neither a uid nor an object of fields, for `get` (JavaScript callers can
 * pass anything: `null` or a number would otherwise filter on nothing and return the only record).
 * A field given as `undefined` is refused by `filter` itself.
 */
export const getArgumentError = (registry: string, uidOrFields: unknown, example: string): InvalidArgument | undefined =>
  typeof uidOrFields === "string" || (typeof uidOrFields === "object" && uidOrFields !== null && !Array.isArray(uidOrFields))
    ? undefined
    : new InvalidArgument({
        message: `${registry}.get() takes a uid or an object of fields, e.g. ${example}; got ${Array.isArray(uidOrFields) ? JSON.stringify(uidOrFields) : String(uidOrFields)}.`
      })

/** Query access for a non-versioned registry whose records decode with `decode`. */
export const registryAccess = <A, M extends Model>(model: M, decode: (row: Row) => A, uidLength: number) => {
  /** Every record (trash and archive hidden). */
  const all = (): QuerySet<A, M> => QuerySet.of(model, decode)
  /** Records matching all `conditions` (keyword objects and `Q`s). */
  const filter = (...conditions: ReadonlyArray<Condition<M>>): QuerySet<A, M> => all().filter(...conditions)
  /** Records not matching all `conditions`. */
  const exclude = (...conditions: ReadonlyArray<Condition<M>>): QuerySet<A, M> => all().exclude(...conditions)
  /** Ranked search over the registry's text fields (at most 20 results by default). */
  const search = (text: string, options?: SearchOptions): QuerySet<A, M> => all().search(text, options)
  /** One record by uid, or by fields (`DoesNotExist` / `MultipleResultsFound` otherwise). */
  const get = (uidOrFields: string | FilterSpec<M>) =>
    Effect.gen(function* () {
      const badArgument = getArgumentError(model.name, uidOrFields, `${model.name}.get({ uid: "…" })`)
      if (badArgument !== undefined) return yield* badArgument
      if (typeof uidOrFields !== "string") return yield* all().filter(uidOrFields as unknown as Condition<M>).one()
      if (!isBase62(uidOrFields) || uidOrFields.length !== uidLength)
        return yield* new InvalidArgument({ message: `'${uidOrFields}' is not a ${model.name} uid (${uidLength} base62 characters).` })
      const found = yield* all().filter({ uid: uidOrFields } as unknown as Condition<M>).first()
      if (found === undefined)
        return yield* new DoesNotExist({ registry: model.name, message: `No ${model.name} with uid '${uidOrFields}'.` })
      return found
    })
  return { model, all, filter, exclude, search, get }
}
