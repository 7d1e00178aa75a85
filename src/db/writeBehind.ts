/**
 * Write-behind transactions on the embedded registry: the records of short steps run one after
 * another commit together, a few at a time, instead of once or twice per step.
 *
 * Why: a sequential flow's executed step committed its claim and `started` run, then its body's
 * save, and on this project's VM disk a commit costs 0.1–0.25 ms (12–18 WAL frames, locks), more
 * than the statements it commits: half of a short step's overhead.
 *
 * A write that may go behind (`later`) runs in the connection's open write transaction (BEGIN
 * IMMEDIATE when none is open), undoing only itself if it fails, and returns without a COMMIT. The
 * transaction commits on the next turn of the event loop, after `MAX_WRITES` writes, when an
 * ordinary write transaction of this process starts (`now` joins it and commits both), before
 * anything else takes the file's permit (`permit` commits first: every statement of @effect/sql,
 * every direct write), before a child process runs synchronously (`flushAll`, called by
 * `flow/fileTrace.ts`' wrappers), and before the connection closes. A read on the same connection
 * meanwhile sees those writes; another process's reader sees the state before them, and its
 * writers wait for the write lock as they wait for any transaction of this one.
 *
 * What goes behind is what may be lost: a step's claim and `started` run and the saves of its
 * body (a process killed before the commit loses them, and the step runs again, as for its
 * completion written behind; an artifact's bytes are stored before its row, so no row is left
 * without its bytes). Only a step whose last call in this process was short writes behind
 * (`flow/executeNow.ts`; its run scope's `behind` for its saves), so the write lock is not held
 * across a long synchronous body. A commit that fails (disk full, an I/O error) loses those
 * records; `lost` reports it, and the steps run again next time. This process then uses the file
 * no more (`failure`): SQLite would give the lost rows' ids out again, while the runs and
 * artifacts this process still holds carry them, and a record must never name the wrong one.
 *
 * @module
 */
import { Effect } from "effect"

/** Writes one write-behind transaction takes at most before it commits. */
export const MAX_WRITES = 64

/** What the write-behind transaction needs of a connection. */
export interface BehindConnection {
  readonly db: { readonly inTransaction: boolean; readonly open: boolean }
  readonly prepare: (sql: string) => { run(...params: Array<unknown>): unknown }
  /** Told when a commit failed and the writes that went behind were lost. */
  readonly lost: (cause: unknown) => void
}

/** One connection's view of its file's write-behind transaction. */
export interface WriteBehind {
  /** The file's permit; taking it commits an open write-behind transaction first (everyone but `later`'s callers). */
  readonly permit: Effect.Semaphore
  /** The file's permit, taken without committing: for writes that join the open transaction (`later`, `now`). */
  readonly joining: Effect.Semaphore
  /** Whether a write-behind transaction is open on this connection. */
  readonly open: () => boolean
  /**
   * Run `f` behind, holding `joining`: in the open write-behind transaction, or one begun now.
   * `f` must leave nothing behind when it throws (one statement, or a savepoint of its own): its
   * throw is rethrown and the transaction's other writes stay. A failed BEGIN throws, nothing written.
   */
  readonly later: <A>(f: () => A) => A
  /**
   * Run `f` between BEGIN IMMEDIATE and COMMIT, holding `joining`; ROLLBACK and rethrow if
   * anything throws. An open write-behind transaction of this connection is joined (`f` in a
   * savepoint) and committed with it; one of another connection of the file is committed first.
   */
  readonly now: <A>(f: () => A) => A
  /** Commit the file's open write-behind transaction, if any (a failure goes to its connection's `lost`). */
  readonly flush: () => void
  /** Why this process may use the file no more (a write-behind commit failed), or undefined. */
  readonly failure: () => string | undefined
}

/** The write-behind transaction of one database file in this process (its connections share it). */
interface FileState {
  readonly raw: Effect.Semaphore
  open: { readonly c: BehindConnection; writes: number } | undefined
  /** Set when a write-behind commit failed: every statement on the file fails with it. */
  failure: string | undefined
}

const files = new Map<string, FileState>()

/**
 * Run `f` in a savepoint of the open transaction: if it throws, its statements are undone and
 * the rest of the transaction stands.
 */
export const savepoint = <A>(c: Pick<BehindConnection, "prepare">, f: () => A): A => {
  c.prepare("SAVEPOINT lamina_write").run()
  let result: A
  try {
    result = f()
  } catch (e) {
    c.prepare("ROLLBACK TO lamina_write").run()
    c.prepare("RELEASE lamina_write").run()
    throw e
  }
  c.prepare("RELEASE lamina_write").run()
  return result
}

const rollback = (c: BehindConnection): void => {
  try {
    if (c.db.open && c.db.inTransaction) c.prepare("ROLLBACK").run()
  } catch {
    // The connection rolled back by itself.
  }
}

/**
 * Commit `file`'s open transaction; throws the COMMIT's error after rolling back (its writes lost,
 * and the file refused from then on).
 */
const commit = (file: FileState): void => {
  const open = file.open
  if (open === undefined) return
  file.open = undefined
  // Closed under it (a finalizer without `flush`): nothing can be committed any more.
  if (!open.c.db.open) return open.c.lost(new Error("the connection closed before its writes committed"))
  try {
    open.c.prepare("COMMIT").run()
  } catch (cause) {
    rollback(open.c)
    file.failure =
      `Lamina could not commit the records of this process's recent steps (${cause instanceof Error ? cause.message : String(cause)}), ` +
      "so it uses this registry no more: SQLite would give their ids out again while this process still holds them. " +
      "Restart the process; the steps whose records were lost run again."
    throw cause
  }
}

const flushFile = (file: FileState): void => {
  const c = file.open?.c
  try {
    commit(file)
  } catch (cause) {
    c?.lost(cause)
  }
}

/** A semaphore over `raw` that commits `file`'s write-behind transaction each time it is taken. */
const flushing = (file: FileState): Effect.Semaphore => {
  const raw = file.raw
  const flushed = <A, E, R>(self: Effect.Effect<A, E, R>) => (file.open === undefined ? self : Effect.zipRight(Effect.sync(() => flushFile(file)), self))
  return {
    resize: (permits) => raw.resize(permits),
    withPermits: (permits) => (self) => raw.withPermits(permits)(Effect.suspend(() => flushed(self))),
    withPermitsIfAvailable: (permits) => (self) => raw.withPermitsIfAvailable(permits)(Effect.suspend(() => flushed(self))),
    take: (permits) => Effect.tap(raw.take(permits), () => Effect.sync(() => flushFile(file))),
    release: (permits) => raw.release(permits),
    releaseAll: raw.releaseAll
  }
}

/**
 * Commit every write-behind transaction of this process: before the thread blocks on something
 * that may need the write lock (a child process run synchronously, which may write to the registry
 * and would wait for this process's lock while this process waits for it).
 */
export const flushAll = (): void => {
  for (const file of files.values()) flushFile(file)
}

/** The file state for `key` (a resolved path, or a unique key for an in-memory database). */
const fileState = (key: string): FileState => {
  let file = files.get(key)
  if (file === undefined) {
    file = { raw: Effect.unsafeMakeSemaphore(1), open: undefined, failure: undefined }
    files.set(key, file)
  }
  return file
}

/** The write-behind view of connection `c` of the database file known as `key`. */
export const writeBehindFor = (key: string, c: BehindConnection): WriteBehind => {
  const file = fileState(key)
  const permit = flushing(file)
  const mine = () => file.open !== undefined && file.open.c === c
  const later = <A>(f: () => A): A => {
    if (!mine()) {
      // Another connection's: committed before this one begins.
      flushFile(file)
      c.prepare("BEGIN IMMEDIATE").run()
      file.open = { c, writes: 0 }
      const opened = file.open
      setImmediate(() => {
        if (file.open === opened) flushFile(file)
      })
    }
    try {
      return f()
    } finally {
      if (file.open !== undefined && ++file.open.writes >= MAX_WRITES) flushFile(file)
    }
  }
  /** Commit the joined transaction; its writes that went behind are lost with it when that fails. */
  const commitJoined = (): void => {
    try {
      commit(file)
    } catch (cause) {
      c.lost(cause)
      throw cause
    }
  }
  const now = <A>(f: () => A): A => {
    if (mine()) {
      let result: A
      try {
        result = savepoint(c, f)
      } catch (cause) {
        commitJoined()
        throw cause
      }
      commitJoined()
      return result
    }
    flushFile(file)
    c.prepare("BEGIN IMMEDIATE").run()
    try {
      const result = f()
      c.prepare("COMMIT").run()
      return result
    } catch (cause) {
      rollback(c)
      throw cause
    }
  }
  return { permit, joining: file.raw, open: mine, later, now, flush: () => flushFile(file), failure: () => file.failure }
}
