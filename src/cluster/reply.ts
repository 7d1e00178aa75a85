/**
 * A completed call's result in its reply. The caller reads a dispatched run's value back from
 * the registry as it reads a cache hit, because a hit check looks at the artifacts and records
 * the result names and at what the run loaded, created and re-saved. A *plain* result — none
 * of those — gives a hit check nothing to look at, so the runner puts it in the reply and the
 * caller decodes it without a read-back (one registry round trip less per call).
 *
 * @module
 */
import type { Closed } from "../flow/lifecycle.js"
import type { RunState } from "../flow/runState.js"
import type { Rechecked } from "../tracker/cacheKey.js"
import { decodeResult, type Json, resultRefs, Unencodable } from "../tracker/canonical.js"
import { ENV_READ } from "../tracker/fileParams.js"

const isPlain = (json: Json): boolean => {
  const refs = resultRefs(json)
  return refs.artifacts.length === 0 && refs.records.length === 0
}

/**
 * Runner: the stored result when the reply may carry it, else undefined. Not when the run has
 * something a hit checks again (queries its body ran, steps it called): the caller reads the run
 * back to pass those on to the step that made the call.
 */
export const replyResult = (closed: Closed, state: Pick<RunState, "created" | "recreated" | "loaded">): Json | undefined =>
  closed.result === undefined || state.created.size > 0 || state.recreated.size > 0 || state.loaded.size > 0 || passesOn(closed) || !isPlain(closed.result)
    ? undefined
    : closed.result

/**
 * What a runner's run hands on to the step that called it, for that step's hits to check: all
 * of it but the environment variables its body read (the runner's environment, which the
 * calling process cannot see). Its files go with their host: the caller checks one it can see
 * (one host, a shared folder) and skips one absent there (`filesChanged`).
 */
export const forCaller = (r: Rechecked): Rechecked => (r.files.some((f) => f.param === ENV_READ) ? { ...r, files: r.files.filter((f) => f.param !== ENV_READ) } : r)

const passesOn = ({ rechecked: r }: Closed): boolean =>
  r !== undefined && (r.queries.length > 0 || r.loaded.length > 0 || r.collections.length > 0 || forCaller(r).files.length > 0)

/**
 * Caller: the value of a carried result, decoded as a hit decodes it; undefined when it is not
 * plain or does not decode (then the caller reads the run back, which says why).
 */
export const carriedValue = (json: Json): { readonly value: unknown } | undefined => {
  if (!isPlain(json)) return undefined
  // No references (checked above): a resolver call would be a bug, reported as undecodable.
  const none = (what: string) => {
    throw new Unencodable("result", `a reference to ${what} in a plain result`)
  }
  try {
    return { value: decodeResult(json, { artifact: (uid) => none(`artifact ${uid}`), record: (model, uid) => none(`${model} ${uid}`) }) }
  } catch (e) {
    if (e instanceof Unencodable) return undefined
    throw e
  }
}
