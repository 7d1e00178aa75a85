/**
 * A transaction on one reserved connection whose hot statements run on that connection
 * directly (Postgres).
 *
 * Why: through @effect/sql's statement path every statement opens a span, a scope and a
 * connection acquisition (inside a transaction too), ≈ 40 KB of Effect objects per statement on
 * Postgres, and `withTransaction` adds a span and a fiber-local context (≈ 60 KB); the same
 * statement sent with the connection's own `execute` allocates ≈ 9 KB, as the `pg` driver alone
 * does. A dispatched step call's claim transaction (key lock, claim, cache re-check, run and
 * claim inserts) runs once per executed call, so this is most of a caller's garbage per call
 * (bench/distributed/README.md, 2026-12-03 "allocs").
 *
 * The transaction is the one `sql.withTransaction` would run: a connection from the same
 * acquirer (`sql.reserve`), BEGIN … COMMIT, ROLLBACK on failure or interruption, COMMIT and
 * ROLLBACK failures as defects; statements sent through `SqlClient` inside it join it (the
 * connection is provided as `TransactionConnection`). Inside an open transaction it is a
 * savepoint of that transaction, through `withTransaction`, on that transaction's connection.
 *
 * @module
 */
import * as SqlClient from "@effect/sql/SqlClient"
import type { Connection } from "@effect/sql/SqlConnection"
import type { SqlError } from "@effect/sql/SqlError"
import type { Statement } from "@effect/sql/Statement"
import { Context, Effect, Exit, Scope } from "effect"

/** Statements run on the transaction's connection. */
export interface Reserved {
  /**
   * Send `statement` (built with the client's `sql` template, compiled here) on the
   * connection. Rows come back as the driver returns them: Lamina's clients set no result-name
   * transform.
   */
  readonly run: <A extends object>(statement: Statement<A>) => Effect.Effect<ReadonlyArray<A>, SqlError>
}

const reservedOn = (conn: Connection): Reserved => ({
  run: <A extends object>(statement: Statement<A>) => {
    const [text, params] = statement.compile()
    return conn.execute(text, params, undefined) as Effect.Effect<ReadonlyArray<A>, SqlError>
  }
})

/** Run `body` in a transaction (see the module's comment), its statements sent through `Reserved.run`. */
export const reservedTransaction = <A, E, R>(body: (tx: Reserved) => Effect.Effect<A, E, R>): Effect.Effect<A, E | SqlError, R | SqlClient.SqlClient> =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.withFiberRuntime<A, E | SqlError, R>((fiber) => {
      const open = Context.getOption(fiber.currentContext, SqlClient.TransactionConnection)
      if (open._tag === "Some") return sql.withTransaction(body(reservedOn(open.value[0])))
      return Effect.uninterruptibleMask((restore) =>
        Effect.flatMap(Scope.make(), (scope) =>
          Effect.flatMap(
            Effect.exit(
              Effect.flatMap(Scope.extend(sql.reserve, scope), (conn) =>
                Effect.flatMap(
                  Effect.exit(
                    Effect.zipRight(
                      conn.executeUnprepared("BEGIN", [], undefined),
                      restore(Effect.provideService(body(reservedOn(conn)), SqlClient.TransactionConnection, [conn, 0] as const))
                    )
                  ),
                  (exit) => Effect.zipRight(Effect.orDie(conn.executeUnprepared(Exit.isSuccess(exit) ? "COMMIT" : "ROLLBACK", [], undefined)), exit)
                )
              )
            ),
            (exit) => Effect.zipRight(Scope.close(scope, exit), exit)
          )
        )
      )
    })
  )
