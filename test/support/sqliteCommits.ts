/**
 * Counting the COMMITs better-sqlite3 runs in this process (every connection), to check what
 * shares a transaction without a timing.
 */
import Database from "better-sqlite3"

interface StatementPrototype {
  run: (this: { readonly source: string }, ...params: Array<unknown>) => unknown
}

let count = 0

const probe = new Database(":memory:")
const prototype = Object.getPrototypeOf(probe.prepare("SELECT 1")) as StatementPrototype
probe.close()
const run = prototype.run
prototype.run = function (...params) {
  if (this.source === "COMMIT") count++
  return run.apply(this, params)
}

/** COMMIT statements run since the last `reset`. */
export const sqliteCommits = {
  reset: (): void => void (count = 0),
  get count(): number {
    return count
  }
}
