/**
 * Key resolvers Lamina ships: `Run.filter({ status: "completed" })` (LaminDB maps status names
 * to `_status_code`; Lamina adds `cached`).
 *
 * @module
 */
import { Effect } from "effect"
import { InvalidArgument } from "../errors.js"
// Used only inside the resolver (never while modules load), so the import cycle
// Run → access → QuerySet → builtins → Run is harmless.
import { statusCode } from "../registry/Run.js"
import { registerKeyResolver, rewrite } from "./resolver.js"

registerKeyResolver("Run", {
  name: "run-status",
  resolve: ({ parts, value }) => {
    if (parts[0] !== "status" || parts.length > 2) return Effect.succeed(undefined)
    const lookup = parts[1] ?? "exact"
    if (lookup === "exact") return Effect.map(statusCode(String(value)), (code) => rewrite({ _status_code: code }))
    if (lookup === "in" && Array.isArray(value))
      return Effect.map(Effect.forEach(value, (v) => statusCode(String(v))), (codes) => rewrite({ _status_code__in: codes }))
    return Effect.fail(new InvalidArgument({ message: `Run.filter(status__${lookup}): use status or status__in with status names.` }))
  }
})
