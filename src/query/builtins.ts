/**
 * Key resolvers Lamina ships: `Run.filter({ status: "completed" })` (LaminDB maps status names
 * to `_status_code`).
 *
 * @module
 */
import { Effect } from "effect"
import { InvalidArgument } from "../errors.js"
import { registerKeyResolver, rewrite } from "./resolver.js"

/** LaminDB's run status codes (kept in step with `RunStatus` in registry/Run.ts). */
const STATUS: Readonly<Record<string, number>> = { scheduled: -3, restarted: -2, started: -1, completed: 0, errored: 1, aborted: 2 }

const code = (v: unknown): number => {
  const c = typeof v === "string" ? STATUS[v] : undefined
  if (c === undefined) throw new InvalidArgument({ message: `Invalid Run status '${String(v)}'. Valid statuses: ${Object.keys(STATUS).join(", ")}` })
  return c
}

registerKeyResolver("Run", {
  name: "run-status",
  resolve: ({ parts, value }) => {
    if (parts[0] !== "status" || parts.length > 2) return Effect.succeed(undefined)
    const lookup = parts[1] ?? "exact"
    return Effect.try({
      try: () => {
        if (lookup === "exact") return rewrite({ _status_code: code(value) })
        if (lookup === "in" && Array.isArray(value)) return rewrite({ _status_code__in: value.map(code) })
        throw new InvalidArgument({ message: `Run.filter(status__${lookup}): use status or status__in with status names.` })
      },
      catch: (e) => (e instanceof InvalidArgument ? e : new InvalidArgument({ message: String(e) }))
    })
  }
})
