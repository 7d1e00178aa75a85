/**
 * Postgres COMMITs that take long enough to interrupt: a deferred constraint trigger sleeps 0.8 s
 * at the commit of a transaction that inserted an artifact under `slow/`. For tests of what an
 * interruption while COMMIT is in flight leaves behind.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect, Schedule } from "effect"
import type { TestInstance } from "./backends.js"

/** Make `i`'s (Postgres) commits of artifacts keyed `slow/…` take 0.8 s. */
export const slowCommits = (i: TestInstance): Promise<void> =>
  i.run(
    Effect.flatMap(SqlClient.SqlClient, (sql) =>
      Effect.zipRight(
        sql.unsafe(`CREATE FUNCTION lamina_test_slow_commit() RETURNS trigger AS $$ BEGIN PERFORM pg_sleep(0.8); RETURN NULL; END $$ LANGUAGE plpgsql`),
        sql.unsafe(
          `CREATE CONSTRAINT TRIGGER lamina_test_slow_commit AFTER INSERT ON lamina_artifact DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.key LIKE 'slow/%') EXECUTE FUNCTION lamina_test_slow_commit()`
        )
      )
    ).pipe(Effect.asVoid)
  )

/** Wait (up to 10 s) until a connection of this database is in the slow trigger of a commit (a COMMIT, or the end of a one-round-trip save). */
export const commitInFlight = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  sql<{ readonly n: number | string }>`SELECT COUNT(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND wait_event = 'PgSleep'`.pipe(
    Effect.flatMap((rows) => (Number(rows[0]!.n) > 0 ? Effect.void : Effect.fail("not yet" as const))),
    Effect.retry({ times: 1000, schedule: Schedule.spaced("10 millis") }),
    Effect.orDie
  )
)
