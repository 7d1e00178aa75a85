/**
 * Key resolvers Lamina ships: `Run.filter({ status: "completed" })` (LaminDB maps status names
 * to `_status_code`; Lamina adds `cached`).
 *
 * @module
 */
import { Effect } from "effect"
import { InvalidArgument } from "../errors.js"
import { registerKeyResolver, rewrite } from "./resolver.js"

// The Run registry is imported when the resolver first runs, not while modules load: it imports
// this package's QuerySet itself, and a static import would make a cycle.
const statusCode = (name: unknown) =>
  Effect.flatMap(
    Effect.promise(() => import("../registry/Run.js")),
    (run) => run.statusCode(String(name))
  )

registerKeyResolver("Run", {
  name: "run-status",
  resolve: ({ parts, value }) => {
    if (parts[0] !== "status" || parts.length > 2) return Effect.succeed(undefined)
    const lookup = parts[1] ?? "exact"
    if (lookup === "exact") return Effect.map(statusCode(value), (code) => rewrite({ _status_code: code }))
    if (lookup === "in" && Array.isArray(value)) return Effect.map(Effect.forEach(value, statusCode), (codes) => rewrite({ _status_code__in: codes }))
    return Effect.fail(new InvalidArgument({ message: `Run.filter(status__${lookup}): use status or status__in with status names.` }))
  }
})
