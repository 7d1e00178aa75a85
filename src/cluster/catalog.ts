/**
 * The steps a runner knows: every `step()` function a pipeline module exports (directly, or
 * inside exported objects and arrays), by transform key. Steps defined as class methods are
 * not dispatched (their key depends on the instance), so they are not listed.
 *
 * @module
 */
import { InvalidArgument } from "../errors.js"
import { trackedHandleOf, type TrackedHandle } from "../flow/wrap.js"

/** Steps by transform key. */
export type StepCatalog = ReadonlyMap<string, TrackedHandle>

/** Collect the exported steps of `modules` (module namespace objects or plain objects). */
export const catalogOf = (modules: ReadonlyArray<unknown>): StepCatalog => {
  const out = new Map<string, TrackedHandle>()
  const seen = new Set<unknown>()
  const visit = (value: unknown, depth: number): void => {
    if (value === null || (typeof value !== "object" && typeof value !== "function") || seen.has(value)) return
    seen.add(value)
    const handle = trackedHandleOf(value)
    if (handle !== undefined) {
      if (handle.kind === "step" && !handle.def.method) out.set(handle.def.keyFor(undefined), handle)
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
