/**
 * {@link ElementSource} over a zarr store (v2 or v3) through zarrita.
 *
 * @module
 */
import type { AbsolutePath } from "@zarrita/storage"
import { Effect } from "effect"
import * as zarr from "zarrita"
import { StorageError, ValidationError } from "../../errors.js"
import { errorText } from "../atomic.js"
import { allocate, DenseArray, type DType, type NumericData } from "../anndata/dense-array.js"
import type { ArrayInfo, Attrs, AttrValue, ElementSource, NodeKind, Region } from "../anndata/element-store.js"
import { CorruptChunkError } from "./blosc.js"
import { fastArrayMeta, type FastArrayMeta, fastRead } from "./chunked-read.js"
import { registerNodeCodecs } from "./codecs.js"
import type { ZarrStore } from "./store.js"

/** What a zarr node's metadata says. */
export interface ZarrNode {
  readonly kind: NodeKind
  readonly version: 2 | 3
  readonly attrs: Attrs
}

const keyOf = (path: string, name: string): AbsolutePath =>
  (path === "" ? `/${name}` : `/${path.replace(/^\/+|\/+$/g, "")}/${name}`) as AbsolutePath

const decodeJson = (bytes: Uint8Array): Record<string, unknown> =>
  JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8")) as Record<string, unknown>

const toAttrs = (raw: unknown): Attrs => {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) return {}
  const out: Record<string, AttrValue> = {}
  for (const [k, v] of Object.entries(raw)) {
    if (v === null || typeof v === "string" || typeof v === "number" || typeof v === "boolean") out[k] = v
    else if (Array.isArray(v) && v.every((x) => typeof x === "string")) out[k] = v as string[]
    else if (Array.isArray(v) && v.every((x) => typeof x === "number")) out[k] = v as number[]
    else if (Array.isArray(v) && v.every((x) => typeof x === "boolean")) out[k] = v as boolean[]
    else if (Array.isArray(v) && v.length === 0) out[k] = []
    else out[k] = JSON.stringify(v)
  }
  return out
}

/** Reads the metadata of the node at `path` (`undefined` when there is none). */
export const readZarrNode = async (store: ZarrStore, path: string): Promise<ZarrNode | undefined> => {
  const v3 = await store.get(keyOf(path, "zarr.json"))
  if (v3 !== undefined) {
    const meta = decodeJson(v3)
    const kind = meta["node_type"] === "array" ? "array" : "group"
    return { kind, version: 3, attrs: toAttrs(meta["attributes"]) }
  }
  const zattrs = await store.get(keyOf(path, ".zattrs"))
  const attrs = zattrs === undefined ? {} : toAttrs(decodeJson(zattrs))
  if ((await store.get(keyOf(path, ".zarray"))) !== undefined) return { kind: "array", version: 2, attrs }
  if ((await store.get(keyOf(path, ".zgroup"))) !== undefined) return { kind: "group", version: 2, attrs }
  return undefined
}

/** Maps a zarrita data type to an AnnData dtype. */
const dtypeOfZarr = (dataType: string): DType | undefined => {
  if (["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float32", "float64", "bool"].includes(dataType)) {
    return dataType as DType
  }
  if (dataType === "string" || dataType === "v2:object" || /^v2:[US]\d+$/.test(dataType)) return "string"
  return undefined
}

type AnyArray = zarr.Array<zarr.DataType, ZarrStore>

/** Converts what `zarr.get` returns into a {@link DenseArray}. */
const toDense = (dtype: DType, value: unknown, shape: ReadonlyArray<number>): DenseArray => {
  if (shape.length === 0) {
    // zarrita returns 0-d arrays as a bare scalar
    if (dtype === "string") return DenseArray.strings([String(value)], [])
    if (dtype === "bool") return DenseArray.bool([value === true], [])
    const one = new DenseArray(dtype, allocateOne(dtype, value), [])
    return one
  }
  const data = (value as { data: unknown }).data
  if (dtype === "string") {
    if (Array.isArray(data)) return DenseArray.strings(data.map(String), shape)
    const arr = data as { length: number; get(i: number): string }
    return DenseArray.strings(Array.from({ length: arr.length }, (_, i) => arr.get(i)), shape)
  }
  if (dtype === "bool") {
    const b = data as { buffer: ArrayBufferLike; byteOffset: number; length: number }
    return new DenseArray("bool", new Uint8Array(b.buffer, b.byteOffset, b.length), shape)
  }
  return new DenseArray(dtype, data as NumericData, shape)
}

const allocateOne = (dtype: Exclude<DType, "string" | "bool">, value: unknown): NumericData => {
  switch (dtype) {
    case "int64":
      return BigInt64Array.of(BigInt(value as bigint))
    case "uint64":
      return BigUint64Array.of(BigInt(value as bigint))
    case "float32":
      return Float32Array.of(Number(value))
    case "float64":
      return Float64Array.of(Number(value))
    case "int8":
      return Int8Array.of(Number(value))
    case "int16":
      return Int16Array.of(Number(value))
    case "int32":
      return Int32Array.of(Number(value))
    case "uint8":
      return Uint8Array.of(Number(value))
    case "uint16":
      return Uint16Array.of(Number(value))
    case "uint32":
      return Uint32Array.of(Number(value))
  }
}

/** An {@link ElementSource} over a zarr store. `name` is used in messages. */
export const zarrSource = (store: ZarrStore, name: string): ElementSource => {
  registerNodeCodecs()
  const nodes = new Map<string, Promise<ZarrNode | undefined>>()
  const arrays = new Map<string, Promise<AnyArray>>()
  let consolidated: Promise<ReadonlyArray<string> | undefined> | undefined
  const fastMetas = new Map<string, Promise<FastArrayMeta | undefined>>()
  const fastMeta = (path: string) => {
    let p = fastMetas.get(path)
    if (p === undefined) {
      p = node(path).then(async (n) => {
        if (n?.version !== 2) return undefined
        const bytes = await store.get(keyOf(path, ".zarray"))
        return bytes === undefined ? undefined : fastArrayMeta(decodeJson(bytes))
      })
      fastMetas.set(path, p)
    }
    return p
  }

  const fail = (path: string, what: string) => (cause: unknown) => {
    const detail = errorText(cause)
    return zarr.isZarritaError(cause) || cause instanceof SyntaxError || cause instanceof CorruptChunkError
      ? new ValidationError({ message: `${name}: element ${path === "" ? "/" : path}: cannot ${what}: ${detail}` })
      : new StorageError({ message: `${name}: element ${path === "" ? "/" : path}: cannot ${what}: ${detail}`, path: name, cause })
  }
  const attempt = <A>(path: string, what: string, f: () => Promise<A>) =>
    Effect.tryPromise({ try: f, catch: fail(path, what) })

  const node = (path: string) => {
    let p = nodes.get(path)
    if (p === undefined) {
      p = readZarrNode(store, path)
      nodes.set(path, p)
    }
    return p
  }
  const array = (path: string) => {
    let p = arrays.get(path)
    if (p === undefined) {
      p = node(path).then((n) => {
        const loc = zarr.root(store).resolve(path === "" ? "/" : `/${path}`)
        return (n?.version === 3 ? zarr.open.v3(loc, { kind: "array" }) : zarr.open.v2(loc, { kind: "array" })) as Promise<AnyArray>
      })
      arrays.set(path, p)
    }
    return p
  }
  const consolidatedKeys = () => {
    consolidated ??= store.get("/.zmetadata" as AbsolutePath).then((b) => {
      if (b === undefined) return undefined
      const meta = decodeJson(b)["metadata"]
      return meta !== null && typeof meta === "object" ? Object.keys(meta) : undefined
    })
    return consolidated
  }
  const listChildren = async (path: string): Promise<string[]> => {
    const prefix = path === "" ? "" : `${path}/`
    if (store.list !== undefined) {
      const names = await store.list((path === "" ? "/" : `/${path}`) as AbsolutePath)
      const out: string[] = []
      for (const n of names) {
        if (n.startsWith(".") || n === "zarr.json") continue
        if ((await node(prefix + n)) !== undefined) out.push(n)
      }
      return out.sort()
    }
    const keys = await consolidatedKeys()
    if (keys === undefined) {
      throw new ValidationError({
        message: `${name}: cannot list group ${path || "/"}: the store has no list() and no consolidated metadata (.zmetadata)`
      })
    }
    const children = new Set<string>()
    for (const k of keys) {
      if (!k.startsWith(prefix)) continue
      const rest = k.slice(prefix.length).split("/")
      if (rest.length === 2 && [".zarray", ".zgroup", "zarr.json"].includes(rest[1])) children.add(rest[0])
    }
    return [...children].sort()
  }

  const info = (path: string): Effect.Effect<{ arr: AnyArray; info: ArrayInfo }, ValidationError | StorageError> =>
    Effect.flatMap(attempt(path, "open the array", () => array(path)), (arr) => {
      const dtype = dtypeOfZarr(arr.dtype)
      return dtype === undefined
        ? Effect.fail(new ValidationError({ message: `${name}: element ${path}: zarr data type ${arr.dtype} is not supported` }))
        : Effect.succeed({ arr, info: { shape: arr.shape, dtype } })
    })

  return {
    name,
    kind: (path) => attempt(path, "read the metadata", async () => (await node(path))?.kind),
    attrs: (path) => attempt(path, "read the attributes", async () => (await node(path))?.attrs ?? {}),
    children: (path) =>
      Effect.tryPromise({
        try: () => listChildren(path),
        catch: (cause) => cause instanceof ValidationError ? cause : fail(path, "list the group")(cause)
      }),
    info: (path) => Effect.map(info(path), (r) => r.info),
    read: (path, region?: Region) =>
      Effect.flatMap(info(path), ({ arr, info: { shape, dtype } }) => {
        const reg = region ?? shape.map((n) => [0, n] as const)
        if (reg.length !== shape.length || reg.some(([a, b], d) => a < 0 || b > shape[d] || a > b)) {
          return Effect.fail(new ValidationError({
            message: `${name}: element ${path}: region ${JSON.stringify(reg)} is outside shape [${shape.join(", ")}]`
          }))
        }
        const outShape = reg.map(([a, b]) => b - a)
        if (outShape.some((n) => n === 0)) {
          return Effect.succeed(dtype === "string" ? DenseArray.strings([], outShape) : new DenseArray(dtype, allocate(dtype, 0), outShape))
        }
        return attempt(path, "read the array", async () => {
          const fast = await fastMeta(path)
          if (fast !== undefined && fast.dtype === dtype && shape.length > 0) {
            const data = await fastRead(store, path, fast, reg)
            if (data !== undefined) return new DenseArray(dtype, data, outShape)
          }
          const selection = shape.length === 0 ? null : reg.map(([a, b]) => zarr.slice(a, b))
          const value: unknown = await zarr.get(arr, selection)
          return toDense(dtype, value, outShape)
        })
      })
  }
}
