/**
 * How a failed Effect becomes a rejected Promise: with the error itself — the same tagged class
 * and message the Effect API fails with (`instanceof DoesNotExist` works) — never Effect's
 * `FiberFailure` wrapper. An interruption caused by an `AbortSignal` rejects with the signal's
 * reason, as `fetch` does.
 *
 * @module
 */
import { Cause } from "effect"

/** The value a Promise rejects with for `cause`. */
export const rejectionOf = (cause: Cause.Cause<unknown>, signal: AbortSignal | undefined): unknown => {
  if (signal?.aborted && Cause.isInterruptedOnly(cause)) return signal.reason
  return Cause.squash(cause)
}
