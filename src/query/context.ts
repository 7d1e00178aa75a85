/**
 * The compiler's shared state and helpers: the per-statement context (dialect, fresh aliases,
 * the subquery and keyword-object compilers wired by the statement compiler), typed failures,
 * and the branch scope side-table conditions use.
 *
 * @module
 */
import type * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import type { Dialect } from "../db/dialect.js"
import type { SqlDialect } from "../db/dialects/index.js"
import { column, raw, sql, type Sql } from "../db/sql.js"
import { InvalidArgument, type DoesNotExist, type StorageError } from "../errors.js"
import type { Model } from "../schema/model.js"
import type { QueryState } from "./state.js"

/** Errors compiling a query can fail with. */
export type CompileError = InvalidArgument | DoesNotExist | StorageError

/** An effect of the compiler. */
export type Compiling<A> = Effect.Effect<A, CompileError, SqlClient.SqlClient>

/** Per-statement compiler state: the dialect and fresh table aliases. */
export interface Ctx {
  readonly dialect: Dialect
  /** What differs between the backends. */
  readonly d: SqlDialect
  readonly nextAlias: () => string
  /** Compile a QuerySet used as a subquery (wired by the statement compiler). */
  readonly subquery: (state: QueryState, expect: Model | undefined, label: string) => Compiling<Sql>
  /** Compile a keyword object over `model` (wired to the WHERE compiler; relation groups recurse through it). */
  readonly spec: (model: Model, alias: string, spec: Readonly<Record<string, unknown>>, depth: number, scope: BranchScope) => Compiling<Sql>
}

/** Run a throwing compiler step, turning its `InvalidArgument` into a typed failure. */
export const attempt = <A>(f: () => A): Effect.Effect<A, InvalidArgument> =>
  Effect.try({
    try: f,
    catch: (e) => {
      if (e instanceof InvalidArgument) return e
      throw e
    }
  })

/**
 * Which branches the records being filtered can be on: `main` when the statement keeps only
 * branch 1 (the default), else `any`. Side-table lookups use it to stay on their index.
 */
export type BranchScope = "main" | "any"

/** Lamina's branches: 1 main, 0 archive, -1 trash. */
export const BRANCHES = [-1, 0, 1] as const

/** The side-table condition for a branch scope. */
export const branchCondition = (alias: string, scope: BranchScope): Sql =>
  scope === "main" ? sql`${column(alias, "branch")} = 1` : sql`${column(alias, "branch")} IN (${raw(BRANCHES.join(", "))})`
