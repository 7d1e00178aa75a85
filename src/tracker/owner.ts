/**
 * Which process owns a claim or a run lease: `host:pid`. On the same host a dead pid is
 * detected at once; elsewhere only the expiry of the heartbeat tells.
 *
 * @module
 */
import * as os from "node:os"

/** This host's name, read once (`os.hostname()` is a system call, ≈ 1.6 µs, that every signed run and checked hit made). */
export const HOST = os.hostname()

/** This process, as stored in claims and run leases. */
export const OWNER = `${HOST}:${process.pid}`

/**
 * What is known about an owner: `"alive"` (a live process on this host), `"dead"` (no such
 * process on this host) or `"unknown"` (another host, or not a `host:pid` string).
 */
export const ownerState = (owner: string | null): "alive" | "dead" | "unknown" => {
  if (owner === null) return "unknown"
  const at = owner.lastIndexOf(":")
  if (at < 0 || owner.slice(0, at) !== HOST) return "unknown"
  const pid = Number(owner.slice(at + 1))
  if (!Number.isInteger(pid) || pid <= 0) return "unknown"
  try {
    process.kill(pid, 0)
    return "alive"
  } catch (e) {
    // EPERM: the process exists but belongs to another user.
    return (e as NodeJS.ErrnoException).code === "ESRCH" ? "dead" : "alive"
  }
}
