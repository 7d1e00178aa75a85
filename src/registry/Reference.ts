/**
 * Reference registry: publications, URLs and other references (LaminDB's Reference: name,
 * abbr, url, pubmed_id, doi, description, text, date).
 *
 * @module
 */
import { Effect } from "effect"
import { InvalidArgument } from "../errors.js"
import { registryAccess } from "./access.js"
import { ReferenceModel } from "./catalog.js"
import { checkName, findOrCreateNamed, typeIdOf, type TypeRef } from "./named.js"
import { isoDay } from "./Project.js"
import { brandRecord } from "./recordRef.js"
import type { RecordOf, Row } from "./model.js"
import { UID_LENGTH } from "./uid.js"

export { ReferenceModel } from "./catalog.js"

/** A reference record. */
export type Reference = RecordOf<typeof ReferenceModel>

/** What `Reference.create` takes. */
export interface ReferenceOptions {
  readonly name: string
  readonly type?: TypeRef
  readonly is_type?: boolean
  readonly abbr?: string
  readonly url?: string
  readonly pubmed_id?: number
  /** A DOI such as `10.1038/s41586-020-2649-2`. */
  readonly doi?: string
  readonly description?: string
  readonly text?: string
  readonly date?: string | Date
}

/** A reference decoded from a row, branded as a `Reference` record. */
export const decodeReference = (row: Row): Reference => brandRecord(row as unknown as Reference, "Reference")

const access = registryAccess(ReferenceModel, decodeReference, UID_LENGTH.reference)

/** The Reference registry: `Reference.create({ name, doi })`, `filter`, `get`, `search`. */
export const Reference = {
  ...access,
  create: (options: ReferenceOptions) =>
    Effect.gen(function* () {
      const name = yield* checkName(ReferenceModel, options?.name)
      if (options.doi !== undefined && !/^10\.\d{4,9}\/\S+$/.test(options.doi))
        return yield* new InvalidArgument({ message: `Reference '${name}': '${options.doi}' is not a DOI (10.<registrant>/<suffix>).` })
      if (options.pubmed_id !== undefined && !(Number.isInteger(options.pubmed_id) && options.pubmed_id > 0))
        return yield* new InvalidArgument({ message: `Reference '${name}': pubmed_id must be a positive integer, got ${JSON.stringify(options.pubmed_id)}.` })
      const typeId = yield* typeIdOf(ReferenceModel, options.type)
      const date = yield* isoDay("date", options.date)
      const { record } = yield* findOrCreateNamed(ReferenceModel, UID_LENGTH.reference, name, typeId, {
        is_type: options.is_type ?? false,
        abbr: options.abbr ?? null,
        url: options.url ?? null,
        pubmed_id: options.pubmed_id ?? null,
        doi: options.doi ?? null,
        description: options.description ?? null,
        text: options.text ?? null,
        date
      })
      return decodeReference(record)
    })
}
