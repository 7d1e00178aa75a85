/**
 * The steps a runner knows: every `step()` function a pipeline module exports (directly, or
 * inside exported objects and arrays), by transform key. Steps defined as class methods are
 * not dispatched (their key depends on the instance), so they are not listed. Two steps one
 * factory made with different values share a key: refused, since a call could reach the wrong one.
 *
 * @module
 */
import { InvalidArgument } from "../errors.js"
import { CAPTURED } from "../tracker/fileParams.js"
import { trackedHandleOf, type TrackedHandle } from "../flow/wrap.js"

/** Steps by transform key. */
export type StepCatalog = ReadonlyMap<string, TrackedHandle>

/** The captured variables two steps of one key differ in. */
const capturedNames = (a: TrackedHandle, b: TrackedHandle): string => {
  const x = a.def.captured?.params ?? {}
  const y = b.def.captured?.params ?? {}
  const names = [...new Set([...Object.keys(x), ...Object.keys(y)])].filter((k) => x[k] !== y[k])
  return names.map((k) => `captured '${k.slice(CAPTURED.length)}'`).join(", ")
}

/** Collect the exported steps of `modules` (module namespace objects or plain objects). */
export const catalogOf = (modules: ReadonlyArray<unknown>): StepCatalog => {
  const out = new Map<string, TrackedHandle>()
  const seen = new Set<unknown>()
  const visit = (value: unknown, depth: number): void => {
    if (value === null || (typeof value !== "object" && typeof value !== "function") || seen.has(value)) return
    seen.add(value)
    const handle = trackedHandleOf(value)
    if (handle !== undefined) {
      if (handle.kind !== "step" || handle.def.method) return
      const key = handle.def.keyFor(undefined)
      const other = out.get(key)
      // One factory's steps, made with different values: a call by key could reach the wrong one.
      if (other !== undefined && JSON.stringify(other.def.captured?.params ?? {}) !== JSON.stringify(handle.def.captured?.params ?? {}))
        throw new InvalidArgument({
          message: `Two exported steps have the transform key '${key}' but were made with different values (${capturedNames(other, handle)}): a runner finds a step by its key, so give each its own name (step({ name: … }) or key).`
        })
      out.set(key, handle)
      return
    }
    if (depth >= 3 || typeof value === "function") return
    const entries = Array.isArray(value) ? value : Object.values(value as Record<string, unknown>)
    for (const v of entries) visit(v, depth + 1)
  }
  for (const m of modules) visit(m, 0)
  return out
}

/** Import pipeline modules (absolute paths or file URLs) and catalog their steps; none found is an error. */
export const loadCatalog = async (specifiers: ReadonlyArray<string>): Promise<StepCatalog> => {
  const modules: Array<unknown> = []
  for (const s of specifiers) modules.push(await import(s))
  const catalog = catalogOf(modules)
  if (catalog.size === 0)
    throw new InvalidArgument({
      message: `No step found in ${specifiers.join(", ")}: a runner executes the step() functions its modules export. Export the steps your flows call (export const clean = step(…)).`
    })
  return catalog
}
