/**
 * Every key-taking `ObjectStore` method given keys that try to leave the store's root: each
 * must fail with a `StorageError` before touching anything.
 */
import { Effect } from "effect"
import type { ObjectStore } from "../../src/storage/ObjectStore.js"

/** Keys that could point outside a root: parent segments, absolute paths, backslashes, a drive, NUL. */
export const ESCAPING_KEYS = ["../outside.txt", "raw/../../outside.txt", "/etc/passwd", "raw\\..\\x", "C:/x", "a\0b"] as const

/** Each method called with `key` (the other argument, where there is one, a harmless one). */
const calls = (store: ObjectStore, key: string, localFile: string): Record<string, Effect.Effect<unknown, unknown>> => ({
  putFile: store.putFile(localFile, key),
  putFolder: store.putFolder(localFile, key),
  putBytes: store.putBytes(key, new Uint8Array([1])),
  hashObject: store.hashObject(key),
  hashFolder: store.hashFolder(key),
  hashContent: store.hashContent(key),
  download: store.download(key, `${localFile}.copy`),
  stat: store.stat(key),
  exists: store.exists(key),
  list: store.list(key),
  localPath: store.localPath(key),
  read: store.read(key),
  readRange: store.readRange(key, 0, 1),
  moveFrom: store.move(key, "inside.txt"),
  moveTo: store.move("inside.txt", key),
  remove: store.remove(key)
})

/** For every escaping key and method: the failure's tag and whether its message names the refusal. */
export const escapingKeyOutcomes = async (
  store: ObjectStore,
  run: <A, E>(e: Effect.Effect<A, E>) => Promise<A>,
  localFile: string
): Promise<ReadonlyArray<string>> => {
  const out: Array<string> = []
  for (const key of ESCAPING_KEYS)
    for (const [method, call] of Object.entries(calls(store, key, localFile))) {
      const result = await run(Effect.either(call))
      const refused =
        result._tag === "Left" && (result.left as { readonly _tag?: string; readonly message?: string })._tag === "StorageError" && String((result.left as { readonly message?: string }).message).startsWith("Refused the storage key")
      if (!refused) out.push(`${method}(${JSON.stringify(key)}) was not refused`)
    }
  return out
}
