/**
 * `QuerySet`: a lazy, immutable query over one registry. Nothing touches the database until a
 * terminal method (`toArray`, `first`, `one`, `count`) runs.
 *
 * @module
 */
import * as SqlClient from "@effect/sql/SqlClient"
import type { Fragment } from "@effect/sql/Statement"
import { Effect } from "effect"
import { DoesNotExist, InvalidArgument, MultipleResultsFound, type IntegrityError, type StorageError } from "../errors.js"
import { sqlFailure } from "../registry/crud.js"
import { decodeRow, encodeValue, type Model, type Row } from "../registry/model.js"
import { LOOKUPS, parseKey } from "./lookup.js"

/** Filter conditions: `{ field: value, field__lookup: value }`. */
export type FilterSpec = Readonly<Record<string, unknown>>

/** Fields that address records directly, so trashed and archived rows stay visible. */
const DIRECT = new Set(["id", "uid", "hash", "branch"])

/** A lazy query over `model`, decoding rows into `A`. */
export class QuerySet<A> {
  constructor(
    readonly model: Model,
    readonly decode: (row: Row) => A,
    readonly filters: ReadonlyArray<FilterSpec> = [],
    readonly limitCount?: number
  ) {}

  /** Narrow by field lookups, combined with AND. */
  filter(spec: FilterSpec): QuerySet<A> {
    return new QuerySet(this.model, this.decode, [...this.filters, spec], this.limitCount)
  }

  /** At most `n` records. */
  limit(n: number): QuerySet<A> {
    return new QuerySet(this.model, this.decode, this.filters, n)
  }

  private compile(sql: SqlClient.SqlClient): Effect.Effect<Fragment, InvalidArgument> {
    const { model, filters } = this
    return Effect.gen(function* () {
      const clauses: Array<Fragment> = []
      let direct = false
      for (const spec of filters) {
        for (const [key, value] of Object.entries(spec)) {
          const { path, lookup } = parseKey(key)
          const field = path[0]!
          const type = model.fields[field]
          if (path.length !== 1 || type === undefined)
            return yield* new InvalidArgument({
              message: `You can query either by available fields: ${Object.keys(model.fields).join(", ")}\nOr fix invalid feature names: ${field}`
            })
          if (DIRECT.has(field)) direct = true
          const column = sql(field)
          if (value === null) clauses.push(sql`${column} IS NULL`)
          else if (lookup === "startswith") clauses.push(sql`${column} LIKE ${escapeLike(String(value)) + "%"} ESCAPE '\\'`)
          else if (lookup === "exact") clauses.push(sql`${column} = ${encodeValue(type, value)}`)
          else return yield* new InvalidArgument({ message: `Unknown lookup '${lookup}'. Valid lookups: ${LOOKUPS.join(", ")}` })
        }
      }
      if (!direct && "branch" in model.fields) clauses.push(sql`branch = 1`)
      return clauses.length === 0 ? sql`1 = 1` : sql.and(clauses)
    })
  }

  /** All matching records, newest first. */
  toArray(): Effect.Effect<ReadonlyArray<A>, InvalidArgument | StorageError | IntegrityError, SqlClient.SqlClient> {
    return Effect.gen(this, function* () {
      const sql = yield* SqlClient.SqlClient
      const where = yield* this.compile(sql)
      const limit = this.limitCount === undefined ? sql`` : sql`LIMIT ${this.limitCount}`
      const rows = yield* sql<Record<string, unknown>>`SELECT * FROM ${sql(this.model.table)} WHERE ${where} ORDER BY id DESC ${limit}`.pipe(
        Effect.mapError(sqlFailure(`Querying ${this.model.name}`))
      )
      return rows.map((r) => this.decode(decodeRow(this.model, r)))
    })
  }

  /** The first match, if any. */
  first() {
    return Effect.map(this.limit(1).toArray(), (rows): A | undefined => rows[0])
  }

  /** Exactly one match, else `DoesNotExist` / `MultipleResultsFound`. */
  one(): Effect.Effect<A, DoesNotExist | MultipleResultsFound | InvalidArgument | StorageError | IntegrityError, SqlClient.SqlClient> {
    return Effect.flatMap(this.limit(2).toArray(), (rows): Effect.Effect<A, DoesNotExist | MultipleResultsFound> => {
      const what = JSON.stringify(Object.assign({}, ...this.filters))
      if (rows.length === 0)
        return Effect.fail(new DoesNotExist({ registry: this.model.name, message: `${this.model.name} matching ${what} does not exist.` }))
      if (rows.length > 1)
        return Effect.fail(
          new MultipleResultsFound({ registry: this.model.name, count: rows.length, message: `Several ${this.model.name} records match ${what}: narrow the filter.` })
        )
      return Effect.succeed(rows[0]!)
    })
  }
}

/** Escape `%`, `_` and `\` so user text is matched literally by LIKE. */
export const escapeLike = (s: string): string => s.replace(/[\\%_]/g, (c) => "\\" + c)
