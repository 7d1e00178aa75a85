/**
 * Key resolvers for filter keys whose root is not a field, relation or link of the registry.
 * A registry declares its own (`resolvers` in its declaration, see `src/schema/resolver.ts`);
 * an application can add more at run time with `registerKeyResolver`, asked after the declared
 * ones:
 *
 * ```ts
 * registerKeyResolver("Artifact", {
 *   name: "features",
 *   resolve: ({ root, value }) =>
 *     root === "cell_type" ? Effect.succeed(rewrite({ ulabels__name: value })) : Effect.succeed(undefined)
 * })
 * ```
 *
 * Resolvers run in order; the first answer wins. Compile-time key types are added by
 * augmenting `FilterKeyExtensions` in `./types.js`.
 *
 * @module
 */
import type { KeyResolver } from "../schema/resolver.js"

export { rawCondition, rewrite, type KeyResolution, type KeyResolver, type KeyResolverInput } from "../schema/resolver.js"

const resolvers = new Map<string, Array<KeyResolver>>()

/** Register `resolver` for the registry named `modelName`; returns a function that removes it. */
export const registerKeyResolver = (modelName: string, resolver: KeyResolver): (() => void) => {
  const list = resolvers.get(modelName) ?? []
  list.push(resolver)
  resolvers.set(modelName, list)
  return () => {
    const current = resolvers.get(modelName) ?? []
    resolvers.set(
      modelName,
      current.filter((r) => r !== resolver)
    )
  }
}

/** The resolvers registered at run time for a registry, in registration order. */
export const keyResolversOf = (modelName: string): ReadonlyArray<KeyResolver> => resolvers.get(modelName) ?? []
