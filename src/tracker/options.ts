/**
 * The Tracker's tuning options (leases, claims, group commit, write-behind), checked when the
 * layer is built: a lease or a stale-claim bound that is not a positive number would end or take
 * over runs that are alive, so a bad value is refused, never quietly used.
 *
 * @module
 */
import { InvalidArgument } from "../errors.js"

/** The Tracker's tuning: leases, claims, group commit and write-behind (each left out: its default). */
export interface TrackerOptions {
  /** How long a run's lease lasts without renewal (default 60 s; `LAMINA_RUN_LEASE_MS`). */
  readonly leaseMs?: number
  /** How often leases and claims are renewed (default 10 s, at most a third of the lease). */
  readonly heartbeatMs?: number
  /** A claim without a heartbeat for this long is taken over (default 60 s). */
  readonly staleClaimMs?: number
  /** At most this many run writes share one transaction (default 256). */
  readonly maxBatch?: number
  /**
   * A step call shorter than this lets the next call of its step write behind on SQLite
   * (`db/writeBehind.ts`; default `SHORT_CALL_MS`, `LAMINA_SHORT_CALL_MS`; 0: never).
   */
  readonly shortCallMs?: number
}

/** Each option, and what it must be: a positive number of ms, a count, or a bound that may be 0. */
const RULES: ReadonlyArray<readonly [keyof TrackerOptions, (v: number) => boolean, string]> = [
  ["leaseMs", (v) => v > 0, "a positive number of milliseconds"],
  ["heartbeatMs", (v) => v > 0, "a positive number of milliseconds"],
  ["staleClaimMs", (v) => v > 0, "a positive number of milliseconds"],
  ["maxBatch", (v) => Number.isInteger(v) && v >= 1, "a whole number of writes, at least 1"],
  ["shortCallMs", (v) => v >= 0, "a number of milliseconds, 0 or more (0: never write behind)"]
]

/** Why `options` cannot configure a Tracker, or undefined when every option given is valid. */
export const trackerOptionsProblem = (options: TrackerOptions): InvalidArgument | undefined => {
  if (typeof options !== "object" || options === null || Array.isArray(options))
    return new InvalidArgument({ message: `Tracker options must be an object like { leaseMs: 60000 } or left out, got ${JSON.stringify(options)}.` })
  for (const [name, valid, what] of RULES) {
    const v: unknown = options[name]
    if (v === undefined) continue
    if (typeof v !== "number" || !Number.isFinite(v) || !valid(v))
      return new InvalidArgument({ message: `Tracker option ${name} must be ${what}, got ${typeof v === "number" ? String(v) : JSON.stringify(v)}. Leave it out for the default.` })
  }
  return undefined
}

/** A number of ms from the environment variable `name`; undefined when unset, empty, not a number or not positive (0 too, with `allowZero`). */
export const envMs = (name: string, allowZero = false): number | undefined => {
  const raw = process.env[name]
  const v = raw === undefined || raw.trim() === "" ? Number.NaN : Number(raw)
  return Number.isFinite(v) && (v > 0 || (allowZero && v === 0)) ? v : undefined
}
