/**
 * Lamina's own I/O done inside a step body: its S3 client's requests, which read environment
 * variables (`AWS_REGION`, `_X_AMZN_TRACE_ID`, …) and may read the SDK's config files. They are
 * not the body's reads: flow/fileTrace.ts asks `isOwnWork` before noting a call for a run.
 * An `AsyncLocalStorage`, so what the request does after its own `await`s is covered too.
 *
 * @module
 */
import { AsyncLocalStorage } from "node:async_hooks"

const own = new AsyncLocalStorage<true>()

/** Call `f` as Lamina's own work (with what it goes on to do asynchronously). */
export const asOwnWork = <A>(f: () => A): A => own.run(true, f)

/** Whether the calling code is Lamina's own work (`asOwnWork`). */
export const isOwnWork = (): boolean => own.getStore() === true
