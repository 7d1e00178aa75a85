/**
 * Migration 80: the first attempt of a dispatched call, as one server-side function (Postgres).
 *
 * @module
 */
import type { Migration } from "./migration.js"

/**
 * `lamina_cluster_first_attempt(...)`: what a runner does with a call's first delivery, in one
 * round trip instead of a transaction of five (BEGIN, the key's lock, the dispatch row, the
 * takeover, COMMIT) on every dispatched call. Called as a single statement, so its advisory
 * lock and row locks are held until that statement's transaction commits — the same lock the
 * claim, a retry and the completion's guard take (src/cluster/attempt.ts).
 *
 * It writes only on the common path: the call is not recorded yet, the caller's run is still
 * `started` and (for a cached call) still holds the key's claim. Then it takes the claim over,
 * records the call and places the run on the runner, and returns 0. Otherwise it writes
 * nothing and returns 1 (the call is recorded: a repeated delivery), 2 (the run is no longer
 * `started`) or 3 (its claim is no longer its own); the runner then decides in its
 * transaction, as before.
 *
 * SQLite has no cluster (runners need Postgres): nothing to create there.
 */
export const clusterFirstAttempt: Migration = {
  id: 80,
  name: "cluster: a dispatched call's first attempt in one statement (Postgres function)",
  statements: (d) =>
    d !== "pg"
      ? []
      : [
          `CREATE OR REPLACE FUNCTION lamina_cluster_first_attempt(
            p_dispatch TEXT, p_run BIGINT, p_cache_key TEXT, p_started BIGINT, p_owner TEXT, p_token TEXT,
            p_runner TEXT, p_host TEXT, p_environment BIGINT, p_now TIMESTAMPTZ, p_lease TIMESTAMPTZ
          ) RETURNS INTEGER LANGUAGE plpgsql AS $fn$
          BEGIN
            IF p_cache_key IS NOT NULL THEN
              PERFORM pg_advisory_xact_lock(hashtext('lamina-cache:' || p_cache_key));
            END IF;
            PERFORM 1 FROM lamina_cluster_dispatch WHERE id = p_dispatch FOR UPDATE;
            IF FOUND THEN RETURN 1; END IF;
            PERFORM 1 FROM lamina_run WHERE id = p_run AND _status_code = p_started;
            IF NOT FOUND THEN RETURN 2; END IF;
            IF p_cache_key IS NOT NULL THEN
              UPDATE lamina_run_claim SET owner = p_owner, heartbeat_at = p_now WHERE cache_key = p_cache_key AND run_id = p_run;
              IF NOT FOUND THEN RETURN 3; END IF;
            END IF;
            INSERT INTO lamina_cluster_dispatch (id, run_id, attempts, runner, updated_at) VALUES (p_dispatch, p_run, 1, p_token, p_now);
            UPDATE lamina_run SET runner = p_runner, host = p_host, environment_id = p_environment, _lease_owner = p_owner, _lease_expires_at = p_lease
              WHERE id = p_run;
            RETURN 0;
          END
          $fn$`
        ]
}
