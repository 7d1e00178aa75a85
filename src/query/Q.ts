/**
 * `Q`: composable filter conditions — `Q.and`, `Q.or`, `Q.not`, nestable and mixed freely with
 * plain keyword objects:
 *
 * ```ts
 * Artifact.filter(Q.or({ key__startswith: "a" }, Q.not({ size__gt: 5 })), { suffix: ".csv" })
 * ```
 *
 * A plain object is the AND of its keys (Django's `filter(**kwargs)`); `Q.not` follows Django's
 * `exclude` semantics (a row whose condition is NULL, e.g. a NULL `size`, is kept).
 *
 * `Q` objects are not bound to a registry; their keys are checked when they are passed to a
 * registry's `filter`/`exclude` (a misspelled key anywhere inside is a compile error there).
 *
 * @module
 */

/** The condition tree the compiler walks. */
export type QNode =
  | { readonly _tag: "Spec"; readonly spec: Readonly<Record<string, unknown>> }
  | { readonly _tag: "And"; readonly children: ReadonlyArray<QNode> }
  | { readonly _tag: "Or"; readonly children: ReadonlyArray<QNode> }
  | { readonly _tag: "Not"; readonly child: QNode }

declare const QPhantom: unique symbol

/** Keys of every member of a union of spec objects. */
export type KeysOf<S> = S extends unknown ? keyof S : never

/**
 * A composed condition. `S` is the union of the keyword objects inside and `K` their keys; both
 * exist only for type checking against the registry the condition is used with.
 */
export class Q<S = unknown, K = KeysOf<S>> {
  declare readonly [QPhantom]?: { readonly spec: S; readonly keys: K }
  readonly _tag = "Q" as const
  constructor(readonly node: QNode) {}

  /** All of `conditions`. */
  static and<const A extends ReadonlyArray<object>>(...conditions: A): Q<SpecsOf<A[number]>> {
    return new Q({ _tag: "And", children: conditions.map(toNode) })
  }

  /** Any of `conditions`. */
  static or<const A extends ReadonlyArray<object>>(...conditions: A): Q<SpecsOf<A[number]>> {
    return new Q({ _tag: "Or", children: conditions.map(toNode) })
  }

  /** None of… : the negation of all of `conditions` (Django's `exclude`). */
  static not<const A extends ReadonlyArray<object>>(...conditions: A): Q<SpecsOf<A[number]>> {
    return new Q({ _tag: "Not", child: { _tag: "And", children: conditions.map(toNode) } })
  }
}

/** The keyword objects inside a condition (flattening nested `Q`s). */
export type SpecsOf<E> = E extends Q<infer S, infer _K> ? S : E

/** A condition: a keyword object or a `Q`. */
export type AnyCondition = object

/** The tree node of a keyword object or `Q`. */
export const toNode = (condition: AnyCondition): QNode =>
  condition instanceof Q ? condition.node : { _tag: "Spec", spec: condition as Readonly<Record<string, unknown>> }

/** Every key used anywhere in a tree (for the default branch rule). */
export const keysIn = (node: QNode): ReadonlyArray<string> => {
  switch (node._tag) {
    case "Spec":
      return Object.keys(node.spec)
    case "And":
    case "Or":
      return node.children.flatMap(keysIn)
    case "Not":
      return keysIn(node.child)
  }
}
