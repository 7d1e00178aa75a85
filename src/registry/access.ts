/**
 * Read access shared by every registry: `filter` (a lazy QuerySet) and `get` (by uid or fields).
 *
 * @module
 */
import { Effect } from "effect"
import { DoesNotExist, InvalidArgument } from "../errors.js"
import { QuerySet, type FilterSpec } from "../query/QuerySet.js"
import type { Model, Row } from "./model.js"
import { isBase62 } from "./uid.js"

/** `filter` and `get` for a non-versioned registry whose records decode with `decode`. */
export const registryAccess = <A>(model: Model, decode: (row: Row) => A, uidLength: number) => {
  const filter = (spec: FilterSpec = {}): QuerySet<A> => new QuerySet(model, decode).filter(spec)
  const get = (uidOrFields: string | FilterSpec) =>
    Effect.gen(function* () {
      if (typeof uidOrFields !== "string") return yield* filter(uidOrFields).one()
      if (!isBase62(uidOrFields) || uidOrFields.length !== uidLength)
        return yield* new InvalidArgument({ message: `'${uidOrFields}' is not a ${model.name} uid (${uidLength} base62 characters).` })
      const found = yield* filter({ uid: uidOrFields }).first()
      if (found === undefined)
        return yield* new DoesNotExist({ registry: model.name, message: `No ${model.name} with uid '${uidOrFields}'.` })
      return found
    })
  return { model, filter, get }
}
