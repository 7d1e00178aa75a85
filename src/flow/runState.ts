/**
 * What a run accumulates while it executes — the artifacts it reads and creates, and its log
 * lines — and the `RunScope` the registries see through `CurrentRun`.
 *
 * @module
 */
import { Effect, FiberRefs, Logger, Option } from "effect"
import type { QueryObserver } from "../query/observe.js"
import type { LoadedInput, Rechecked } from "../tracker/cacheKey.js"
import type { KeyFile } from "../tracker/fileParams.js"
import { statementKey, storedQuery, type StoredQuery } from "../tracker/queries.js"
import { CurrentRun, type RunScope } from "./CurrentRun.js"
import { traceOf, traceRun, type FileTrace } from "./fileTrace.js"

/** Logs kept per run; beyond this the run keeps the first lines and a note. */
const MAX_LOG_CHARS = 1_000_000

/** The state behind each cacheable step's scope (a nested step hands what it checks again to its caller's). */
const states = new WeakMap<RunScope, RunState>()

/** Whether the run of `scope` takes on what the steps its body calls check again (a cacheable step's, or a flow's inside one). */
export const takesRechecks = (scope: RunScope): boolean => states.has(scope)

/** Hand what a step call checks again (`rechecked`) to the run whose body made the call, `caller`. */
export const passOn = (caller: RunScope, rechecked: Rechecked | undefined): void => {
  if (rechecked !== undefined) states.get(caller)?.absorb(rechecked)
}

/** A run's accumulating state. */
export class RunState {
  /** Artifact ids passed as arguments (recorded as inputs). */
  readonly argumentInputs: ReadonlyArray<number>
  private readonly argumentSet: ReadonlySet<number>
  /** Artifact ids loaded, cached or opened inside the body. */
  readonly loaded = new Set<number>()
  /** Artifact ids the run created (saved). */
  readonly created = new Set<number>()
  /** Existing artifacts whose bytes the run saved again (its recreating-run links). */
  readonly recreated = new Set<number>()
  /** Collections the body read (written as collection inputs when the run closes). */
  readonly collections = new Set<number>()
  /** Registry queries the body ran, by statement and parameters (the first result of each); made on first use. */
  private queries: Map<string, StoredQuery> | undefined
  /** What steps the body called checked again (`absorb`); made on first use (a 10,000-step fan-out holds as many states). */
  private absorbed: { readonly loaded: Map<number, LoadedInput>; readonly collections: Set<number>; readonly files: Map<string, KeyFile>; readonly queries: Map<string, StoredQuery> } | undefined
  readonly logs: Array<string> = []
  private logChars = 0
  readonly scope: RunScope

  constructor(
    readonly runId: number,
    readonly runUid: string,
    readonly name: string,
    argumentInputs: ReadonlyArray<number>,
    behind = false
  ) {
    this.argumentInputs = argumentInputs
    this.argumentSet = new Set(argumentInputs)
    this.scope = {
      runId,
      runUid,
      name,
      behind,
      recordInput: (id) =>
        Effect.sync(() => {
          // Arguments are inputs already, keyed by content; `loaded` is what the body found itself.
          if (!this.created.has(id) && !this.recreated.has(id) && !this.argumentSet.has(id)) this.loaded.add(id)
        }),
      recordOutput: (id) =>
        Effect.sync(() => {
          this.created.add(id)
          this.loaded.delete(id)
        }),
      recordRecreated: (id) =>
        Effect.sync(() => {
          // An input saved back unchanged stays an input (LaminDB: no cycle in the lineage).
          if (!this.loaded.has(id) && !this.argumentSet.has(id)) this.recreated.add(id)
        }),
      recordCollectionInput: (id) => Effect.sync(() => void this.collections.add(id)),
      log: (line) => {
        if (this.logChars > MAX_LOG_CHARS) return
        this.logChars += line.length + 1
        this.logs.push(this.logChars > MAX_LOG_CHARS ? "… (further log lines dropped)" : line)
      }
    }
  }

  /**
   * For a cacheable step's run: take on what the steps its body calls check again (`passOn`),
   * and return the observer that keeps the queries its body runs (the body's `CurrentQueryObserver`).
   * Other runs (flows, uncached steps) keep neither: nothing checks them again.
   */
  rechecks(): QueryObserver {
    this.relayRechecks()
    return this.observeQuery
  }

  /**
   * For a flow nested inside a cacheable step's body: take on what its steps check again, to
   * pass it on to that step when the flow completes (its body's queries the step sees itself).
   */
  relayRechecks(): void {
    states.set(this.scope, this)
    traceRun(this.scope)
  }

  /** The files the body read and the folders it listed, when it is traced (see `relayRechecks`). */
  get trace(): FileTrace | undefined {
    return traceOf(this.scope)
  }

  private readonly observeQuery: QueryObserver = (q) => {
    const key = statementKey(q.text, q.params)
    this.queries ??= new Map()
    if (!this.queries.has(key)) this.queries.set(key, storedQuery(q, this.runId))
  }

  /** The queries the body ran, as kept on the run: its own rows left out (see tracker/queries.ts). */
  get storedQueries(): ReadonlyArray<StoredQuery> {
    return this.queries === undefined ? [] : [...this.queries.values()]
  }

  /** Take on what a step the body called checks again: a hit of this run must check it too. */
  absorb(r: Rechecked): void {
    const a = (this.absorbed ??= { loaded: new Map(), collections: new Set(), files: new Map(), queries: new Map() })
    for (const l of r.loaded) a.loaded.set(l.id, l)
    for (const c of r.collections) a.collections.add(c)
    for (const f of r.files) if (!a.files.has(f.path)) a.files.set(f.path, f)
    // A step called in a loop passes the same queries on each time: the first result is kept, as for the body's own.
    for (const q of r.queries) {
      const key = `${q.maker}\u0000${statementKey(q.sql, q.params)}`
      if (!a.queries.has(key)) a.queries.set(key, q)
    }
  }

  /** What the steps the body called check again, or undefined when it called none that did. */
  get nested(): Rechecked | undefined {
    const a = this.absorbed
    return a === undefined ? undefined : { loaded: [...a.loaded.values()], collections: [...a.collections], queries: [...a.queries.values()], files: [...a.files.values()] }
  }

  /** Every input: arguments first, then artifacts loaded inside the body. */
  get inputs(): ReadonlyArray<number> {
    return [...new Set([...this.argumentInputs, ...this.loaded])]
  }

  /** The logs as stored on the run, or null when there are none. */
  get logText(): string | null {
    return this.logs.length === 0 ? null : this.logs.join("\n")
  }
}

const render = (message: unknown): string => {
  const parts = Array.isArray(message) ? message : [message]
  return parts
    .map((m) => {
      if (typeof m === "string") return m
      try {
        return JSON.stringify(m)
      } catch {
        return String(m)
      }
    })
    .join(" ")
}

/** A logger that appends each log line to the innermost current run's logs. */
export const runLogger: Logger.Logger<unknown, void> = Logger.make(({ logLevel, message, context, date }) => {
  const run = FiberRefs.getOrDefault(context, CurrentRun)
  if (Option.isSome(run)) run.value.log(`${date.toISOString()} ${logLevel.label} ${render(message)}`)
})
