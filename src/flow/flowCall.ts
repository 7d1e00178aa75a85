/**
 * A mark on the Effect a flow call returns, so `runMain(pipeline(args))` can tell that its
 * program *is* a flow: the flow becomes the tracked run itself instead of a flow nested in a
 * script run (which `flow()` refuses unless `nested: true`).
 *
 * @module
 */

const FlowCallTypeId: unique symbol = Symbol.for("lamina/FlowCall")

/** Mark `effect` as the direct result of calling a flow; returns it. */
export const markFlowCall = <T extends object>(effect: T, name: string): T => {
  Object.defineProperty(effect, FlowCallTypeId, { value: name, enumerable: false })
  return effect
}

/** The flow's name when `u` is exactly the Effect a flow call returned (not one derived from it). */
export const flowCallName = (u: unknown): string | undefined =>
  typeof u === "object" && u !== null && Object.prototype.hasOwnProperty.call(u, FlowCallTypeId)
    ? ((u as Record<typeof FlowCallTypeId, string>)[FlowCallTypeId])
    : undefined
