/**
 * A read-only zarr store over a folder in the {@link ObjectStore} (an S3 prefix or a local
 * folder), so a zarr artifact can be opened for partial reads without downloading it.
 *
 * The folder is listed once, when the store is first used: zarr probes many metadata keys that
 * do not exist (`zarr.json`, `.zarray`, `.zgroup` for every node), and answering those from the
 * listing instead of with failing GETs keeps an open to one LIST plus the GETs of what is read.
 * Chunks are fetched with `read`, byte ranges (zarr v3 shards) with `readRange`.
 *
 * @module
 */
import type { AbsolutePath, GetOptions, RangeQuery } from "@zarrita/storage"
import { Effect } from "effect"
import type { ZarrStore } from "../formats/zarr/store.js"
import type { ObjectStore } from "../storage/ObjectStore.js"

/** Runs a storage effect as a Promise that rejects with the typed error itself (not a FiberFailure). */
const run = <A, E>(effect: Effect.Effect<A, E>): Promise<A> =>
  Effect.runPromise(Effect.either(effect)).then((r) => {
    if (r._tag === "Right") return r.right
    throw r.left
  })

/** A {@link ZarrStore} reading the zarr folder stored at `prefix`. */
export class ObjectStoreZarrStore implements ZarrStore {
  /** The folder's URI, used in messages. */
  readonly root: string
  private listing: Promise<ReadonlyMap<string, number>> | undefined

  constructor(
    private readonly store: ObjectStore,
    private readonly prefix: string
  ) {
    this.root = store.uri(prefix)
  }

  /** Relative key (no leading `/`) → size, of every object in the folder. */
  private objects(): Promise<ReadonlyMap<string, number>> {
    this.listing ??= run(
      Effect.map(this.store.list(this.prefix), (objects) => {
        const out = new Map<string, number>()
        const base = `${this.prefix}/`
        for (const o of objects) if (o.key.startsWith(base)) out.set(o.key.slice(base.length), o.size)
        return out
      })
    )
    return this.listing
  }

  private keyOf(key: AbsolutePath): string {
    return key.replace(/^\/+/, "")
  }

  async get(key: AbsolutePath, _opts?: GetOptions): Promise<Uint8Array | undefined> {
    const rel = this.keyOf(key)
    if (!(await this.objects()).has(rel)) return undefined
    return run(this.store.read(`${this.prefix}/${rel}`))
  }

  async getRange(key: AbsolutePath, range: RangeQuery, _opts?: GetOptions): Promise<Uint8Array | undefined> {
    const rel = this.keyOf(key)
    const size = (await this.objects()).get(rel)
    if (size === undefined) return undefined
    const [start, end] = "suffixLength" in range
      ? [Math.max(0, size - range.suffixLength), size]
      : [range.offset, range.offset + range.length]
    return run(this.store.readRange(`${this.prefix}/${rel}`, start, end))
  }

  async list(prefix: AbsolutePath): Promise<ReadonlyArray<string>> {
    const dir = this.keyOf(prefix).replace(/\/+$/, "")
    const base = dir === "" ? "" : `${dir}/`
    const names = new Set<string>()
    for (const key of (await this.objects()).keys()) {
      if (key.startsWith(base)) names.add(key.slice(base.length).split("/")[0]!)
    }
    return [...names].sort()
  }
}
