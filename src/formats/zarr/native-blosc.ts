/**
 * The optional native Blosc decoder (`native/`, an N-API addon that opens the system's c-blosc):
 * SIMD unshuffle and C LZ4 on libuv's thread pool, ~5× the JavaScript decoder and parallel
 * across cores. `npm run build` compiles the addon (node-gyp; a C compiler is all it needs) and
 * it finds `libblosc.so.1` at load time (Debian: `libblosc1`, which `python3-zarr` pulls in).
 * Without either, or with `LAMINA_NATIVE_BLOSC=0`, Lamina decodes Blosc in JavaScript
 * (`blosc.ts`).
 *
 * @module
 */
import { existsSync } from "node:fs"
import { createRequire } from "node:module"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

/** The addon's Blosc interface. */
export interface NativeBlosc {
  /**
   * Decodes a Blosc chunk on the thread pool; rejects on a malformed chunk. Without `segments`,
   * `dst` must be exactly the chunk's uncompressed size. With them — `[srcOffset, dstOffset,
   * length]` byte triples — only those ranges of the chunk are copied into `dst`.
   */
  readonly bloscDecode: (src: Uint8Array, dst: Uint8Array, segments?: Float64Array) => Promise<void>
  /** The c-blosc version it opened. */
  readonly bloscVersion: string
}

interface Addon {
  readonly bloscDecode?: NativeBlosc["bloscDecode"]
  readonly bloscVersion?: string
}

const ADDON = path.join("native", "build", "Release", "lamina_native.node")

/** Finds the addon from this module's folder upwards (dist/src/formats/zarr, or the CLI bundle's chunks). */
const locate = (): string | undefined => {
  let dir = path.dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 6; i++) {
    const candidate = path.join(dir, ADDON)
    if (existsSync(candidate)) return candidate
    dir = path.dirname(dir)
  }
  return undefined
}

/** Why the native decoder is not in use (undefined when it loaded). */
let unavailable: string | undefined

const load = (): NativeBlosc | undefined => {
  const file = locate()
  if (file === undefined) {
    unavailable = "the addon is not built (no C compiler at install, or install scripts not allowed for lamina)"
    return undefined
  }
  try {
    const addon = createRequire(import.meta.url)(file) as Addon
    if (addon.bloscDecode && addon.bloscVersion) return { bloscDecode: addon.bloscDecode, bloscVersion: addon.bloscVersion }
    // no libblosc.so.1 on this machine: the addon loads without bloscDecode
    unavailable = "the system's c-blosc (libblosc.so.1, Debian libblosc1) was not found"
    return undefined
  } catch (e) {
    // built for another Node ABI or platform: the JavaScript decoder takes over
    unavailable = `the addon at ${file} does not load here (${e instanceof Error ? e.message.split("\n")[0] : String(e)})`
    return undefined
  }
}

const addon = load()

/** Which Blosc decoder zarr reads use, and why: for `lamina --version --verbose`. */
export const bloscDecoder = (): { readonly decoder: "native" | "javascript"; readonly detail: string } =>
  process.env.LAMINA_NATIVE_BLOSC === "0"
    ? { decoder: "javascript", detail: "LAMINA_NATIVE_BLOSC=0" }
    : addon !== undefined
      ? { decoder: "native", detail: `c-blosc ${addon.bloscVersion}` }
      : { decoder: "javascript", detail: unavailable ?? "unknown" }

/**
 * The native decoder, or `undefined` when it is not built, cannot load here, or
 * `LAMINA_NATIVE_BLOSC=0` (read at each call, so tests can compare both decoders).
 */
export const nativeBlosc = (): NativeBlosc | undefined => (process.env.LAMINA_NATIVE_BLOSC === "0" ? undefined : addon)
