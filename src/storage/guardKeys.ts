/**
 * Keys that cannot leave a store's root. `ObjectStore` is public: a key that reaches it from
 * outside the registry (`store.read("../../etc/passwd")`) must fail before anything is read,
 * written or removed, in a local folder and on S3 alike. The registry's own keys (`.lamina/…`
 * included) always pass: only what could point outside the root is refused.
 *
 * @module
 */
import { Effect } from "effect"
import { StorageError } from "../errors.js"
import type { ObjectStore } from "./ObjectStore.js"

/** Why `key` could point outside a store's root; undefined when it cannot. */
export const escapeOf = (key: string): string | undefined =>
  typeof key !== "string"
    ? "a key must be a string"
    : key.includes("\0")
      ? "it contains a NUL character"
      : key.startsWith("/") || key.includes("\\") || /^[A-Za-z]:[\\/]/.test(key)
        ? "a key is a relative path with '/' separators"
        : key.split("/").includes("..")
          ? "'..' segments would leave the storage root"
          : undefined

/** `store` with every key it is given checked first (`escapeOf`): a typed `StorageError` for one that could leave its root. */
export const guardKeys = (store: ObjectStore): ObjectStore => {
  const guard =
    <Args extends ReadonlyArray<unknown>, A, E>(keysAt: ReadonlyArray<number>, f: (...args: Args) => Effect.Effect<A, E>) =>
    (...args: Args): Effect.Effect<A, E | StorageError> => {
      for (const at of keysAt) {
        const key = args[at] as string
        const why = escapeOf(key)
        if (why !== undefined)
          return Effect.fail(
            new StorageError({
              message: `Refused the storage key '${String(key)}' for ${store.root}: ${why}. Pass a key from the registry (an artifact's storage key) or a relative path like 'raw/sample1.csv'.`,
              path: String(key)
            })
          )
      }
      return f(...args)
    }
  return {
    ...store,
    putFile: guard([1], store.putFile),
    putFolder: guard([1], store.putFolder),
    putBytes: guard([0], store.putBytes),
    hashObject: guard([0], store.hashObject),
    hashFolder: guard([0], store.hashFolder),
    hashContent: guard([0], store.hashContent),
    download: guard([0], store.download),
    stat: guard([0], store.stat),
    exists: guard([0], store.exists),
    list: guard([0], store.list),
    localPath: guard([0], store.localPath),
    read: guard([0], store.read),
    readRange: guard([0], store.readRange),
    move: guard([0, 1], store.move),
    remove: guard([0], store.remove)
  }
}
