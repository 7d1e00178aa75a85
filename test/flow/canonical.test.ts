/**
 * Pure parts of the engine: parameter binding from source, canonical params, reversible results,
 * cache-key components and their diff.
 */
import * as path from "node:path"
import { Option } from "effect"
import { describe, expect, it } from "vitest"
import { cacheKeyOf, diffParts, partsOf, type KeyMaterial } from "../../src/tracker/cacheKey.js"
import { canonicalJson, decodeResult, encodeResult, isSecretKey, paramJson, resultRefs, Unencodable } from "../../src/tracker/canonical.js"
import { bindParams, literalDefault, parseParams } from "../../src/flow/params.js"
import { hashString } from "../../src/storage/hash.js"

describe("parseParams / bindParams", () => {
  it("reads names and literal defaults from arrows, functions and methods", () => {
    expect(parseParams((a: number, b = 2, c = "x, y", d = [1, 2]) => a + b + c + d).map((p) => [p.name, p.defaultText])).toEqual([
      ["a", undefined],
      ["b", "2"],
      ["c", '"x, y"'],
      ["d", "[1, 2]"]
    ])
    expect(parseParams(function named(this: unknown, first: string, ...rest: Array<number>) {
      return [first, rest]
    }).map((p) => [p.name, p.kind])).toEqual([
      ["first", "ident"],
      ["rest", "rest"]
    ])
    class K {
      method(x: number, /* a comment, with a comma */ y = { a: 1 }) {
        return [x, y]
      }
    }
    expect(parseParams(K.prototype.method).map((p) => p.name)).toEqual(["x", "y"])
    expect(parseParams((x: number) => x).map((p) => p.name)).toEqual(["x"])
    expect(parseParams(() => 1)).toEqual([])
    // Names in any script, as JavaScript allows them (they read as `arg0` before).
    expect(parseParams((σ: number, größe = 2) => σ + größe).map((p) => p.name)).toEqual(["σ", "größe"])
    expect(parseParams(new Function("return λ => λ")() as (λ: number) => number).map((p) => p.name)).toEqual(["λ"])
  })

  it("binds arguments with literal defaults filled in, flattening a single destructured object", () => {
    const f = (input: string, factor = 2, mode = "fast", _when = new Date()) => [input, factor, mode]
    expect(bindParams(parseParams(f), ["a"])).toEqual([
      { name: "input", value: "a" },
      { name: "factor", value: 2 },
      { name: "mode", value: "fast" },
      { name: "_when", value: undefined }
    ])
    const g = ({ learning_rate, epochs = 10 }: { learning_rate: number; epochs?: number }) => learning_rate * epochs
    expect(bindParams(parseParams(g), [{ learning_rate: 0.1 }])).toEqual([
      { name: "learning_rate", value: 0.1 },
      { name: "epochs", value: 10 }
    ])
    expect(bindParams(parseParams((a: number) => a), [1, 2])).toEqual([
      { name: "a", value: 1 },
      { name: "arg1", value: 2 }
    ])
    expect(literalDefault("'it\\'s'")).toBe("it's")
    expect(literalDefault("someCall()")).toBeUndefined()
  })
})

describe("canonical params", () => {
  it("sorts keys, normalises numbers and dates, redacts secrets in params mode only", () => {
    const v = { b: 1, a: { token: "t0k", max_tokens: 3 }, when: new Date("2024-01-01T00:00:00Z"), neg0: -0, inf: Infinity, big: 5n }
    expect(canonicalJson(paramJson(v, "v", { mode: "params" }))).toBe(
      '{"a":{"max_tokens":3,"token":"***REDACTED***"},"b":1,"big":"5n","inf":"Infinity","neg0":0,"when":"2024-01-01T00:00:00.000Z"}'
    )
    expect(canonicalJson(paramJson(v, "v", { mode: "key" }))).toContain('"token":"t0k"')
    expect(["apiKey", "api_key", "clientSecret", "DB_PASSWORD", "auth-token"].every(isSecretKey)).toBe(true)
    expect(["max_tokens", "keyboard", "tokenizer_name", "secretary"].some(isSecretKey)).toBe(false)
  })

  it("collects the strings that look like local paths in key mode, never a secret's", () => {
    const paths: Array<{ readonly param: string; readonly path: string }> = []
    paramJson({ input: "data/counts.csv", label: "B cell", files: ["a.parquet"], keyFile: "/keys/token.pem", password: "s3cr/et" }, "options", { mode: "key", paths })
    expect(paths.map((p) => p.param)).toEqual(["options.files[0]", "options.input", "options.keyFile"])
    expect(paths[1]!.path).toBe(path.resolve("data/counts.csv"))
    paramJson("data/counts.csv", "token", { mode: "key", paths })
    expect(paths).toHaveLength(3)
  })

  it("treats sets and maps as unordered, and names the path of what cannot be encoded", () => {
    expect(canonicalJson(paramJson(new Set([2, 1]), "s", { mode: "key" }))).toBe(canonicalJson(paramJson(new Set([1, 2]), "s", { mode: "key" })))
    expect(() => paramJson({ a: [1, { f: () => 1 }] }, "cfg", { mode: "key" })).toThrow(/cfg\.a\[1\]\.f is a function/)
    const e = (() => {
      try {
        paramJson({ x: new (class Model {})() }, "m", { mode: "key" })
      } catch (err) {
        return err
      }
    })()
    expect(e).toBeInstanceOf(Unencodable)
    expect((e as Unencodable).path).toBe("m.x")
  })
})

describe("cache-key params", () => {
  const key = (v: unknown) => canonicalJson(paramJson(v, "p", { mode: "key" }))

  it("never collide for values a body can tell apart", () => {
    const pairs: ReadonlyArray<readonly [unknown, unknown]> = [
      [undefined, null],
      [{ a: undefined }, { a: null }],
      [-0, 0],
      [NaN, "NaN"],
      [Infinity, "Infinity"],
      [5n, "5n"],
      [new Date(0), new Date(0).toISOString()],
      [new URL("http://x/"), "http://x/"],
      [new Map([["a", 1]]), [["a", 1]]],
      [new Map([["a", 1]]), new Set([["a", 1]])],
      [new Set([1, 2]), [1, 2]],
      [Option.some(1), { _tag: "Some", value: 1 }],
      [Option.none(), { _tag: "None" }],
      [new Uint8Array([97, 98]), `Bytes[2:${hashString("ab")}]`],
      [new Float64Array([1]), new Float64Array([2])],
      [Buffer.from("ab"), new Uint8Array([97, 98])],
      [new Float64Array([0]), new Uint8Array(8)],
      [new Float64Array([0]), new BigInt64Array([0n])],
      [new Float64Array([0]).buffer, new Uint8Array(8)],
      [/a/, /a/i],
      [/a/, "/a/"],
      [{ $lamina: "undefined" }, undefined],
      [{ [Symbol.for("unit")]: "mm" }, { [Symbol.for("unit")]: "cm" }],
      [{ a: 1, [Symbol("unit")]: "mm" }, { a: 1 }],
      [{ [Symbol.for("unit")]: "mm" }, { [Symbol("unit")]: "mm" }],
      // JSON.parse makes "__proto__" an own key: assigned, it would set the prototype instead.
      [JSON.parse('{"__proto__": {"v": 1}}'), JSON.parse('{"__proto__": {"v": 2}}')],
      [JSON.parse('{"__proto__": {"v": 1}}'), {}]
    ]
    for (const [a, b] of pairs) expect([a, key(a)]).not.toEqual([a, key(b)])
  })

  it("keep JSON values' keys and treat sets and maps as unordered", () => {
    expect(key({ b: [1, "x", true, null], a: { c: 0.5 } })).toBe('{"a":{"c":0.5},"b":[1,"x",true,null]}')
    expect(key(new Map([["b", 2], ["a", 1]]))).toBe(key(new Map([["a", 1], ["b", 2]])))
    expect(key(new Set([2, 1]))).toBe(key(new Set([1, 2])))
    expect(key(new Date(0))).toBe(key(new Date(0)))
  })
})

describe("results", () => {
  it("round-trip special values and escape objects using the tag key", () => {
    const value = { n: [NaN, -0, Infinity], u: undefined, d: new Date(0), m: new Map([[1, "a"]]), s: new Set(["x"]), o: Option.some(1), $lamina: { nested: true }, b: new Uint8Array([9]) }
    const json = JSON.parse(JSON.stringify(encodeResult(value)))
    const back = decodeResult(json, { artifact: () => { throw new Error("none") }, record: () => undefined }) as typeof value
    expect(back.n.map(String)).toEqual(["NaN", "0", "Infinity"])
    expect(Object.is(back.n[1], -0)).toBe(true)
    expect("u" in back && back.u === undefined).toBe(true)
    expect(back.d).toEqual(new Date(0))
    expect(back.m.get(1)).toBe("a")
    expect(back.s.has("x")).toBe(true)
    expect(back.o).toEqual(Option.some(1))
    expect(back.$lamina).toEqual({ nested: true })
    expect(back.b).toEqual(new Uint8Array([9]))
    expect(resultRefs(encodeResult({ a: 1 }))).toEqual({ artifacts: [], records: [] })
  })

  it("give binary data back of its own kind: a Buffer as a Buffer, typed arrays, a DataView, an ArrayBuffer", () => {
    const value = { buf: Buffer.from("hello"), u8: new Uint8Array([1, 2]), f64: new Float64Array([1.5, -2]), big: new BigInt64Array([-3n]), view: new DataView(new Uint8Array([7, 8]).buffer), raw: new Uint16Array([513]).buffer, part: new Int16Array(new Int16Array([1, 2, 3]).buffer, 2, 1) }
    const back = decodeResult(JSON.parse(JSON.stringify(encodeResult(value))), { artifact: () => { throw new Error("none") }, record: () => undefined }) as typeof value
    expect(Buffer.isBuffer(back.buf) && back.buf.toString()).toBe("hello")
    expect(back.u8).toEqual(new Uint8Array([1, 2]))
    expect(Buffer.isBuffer(back.u8)).toBe(false)
    expect(back.f64).toEqual(new Float64Array([1.5, -2]))
    expect(back.big).toEqual(new BigInt64Array([-3n]))
    expect(back.view instanceof DataView && [back.view.getUint8(0), back.view.getUint8(1)]).toEqual([7, 8])
    expect(back.raw instanceof ArrayBuffer && new Uint16Array(back.raw)[0]).toBe(513)
    expect(back.part).toEqual(new Int16Array([2]))
    // A subclass would come back as its base class: refused (the run is not cached).
    class Pixels extends Uint8Array {}
    expect(() => encodeResult(new Pixels(2))).toThrow(Unencodable)
  })

  it("keep a \"__proto__\" key as a key (JSON.parse makes one)", () => {
    const value: unknown = JSON.parse('{"rows": [{"__proto__": {"v": 1}, "k": 2}]}')
    const back = decodeResult(JSON.parse(JSON.stringify(encodeResult(value))), { artifact: () => { throw new Error("none") }, record: () => undefined }) as { rows: Array<object> }
    expect(Object.keys(back.rows[0]!)).toEqual(["__proto__", "k"])
    expect(Object.getOwnPropertyDescriptor(back.rows[0], "__proto__")?.value).toEqual({ v: 1 })
    expect(Object.getPrototypeOf(back.rows[0])).toBe(Object.prototype)
  })

  it("refuse a property keyed by a symbol, which decoding could not give back", () => {
    expect(() => encodeResult({ rows: [{ a: 1, [Symbol.for("unit")]: "mm" }] })).toThrow(new Unencodable("result.rows[0][Symbol.for(unit)]", "a property keyed by a symbol, which a cached result cannot restore"))
    // Not enumerable: not part of the value, as JSON has it.
    const hidden = Object.defineProperty({ a: 1 }, Symbol("cache"), { value: 2, enumerable: false })
    expect(encodeResult(hidden)).toEqual({ a: 1 })
  })
})

describe("cache keys", () => {
  const material = (over: Partial<KeyMaterial> = {}): KeyMaterial => ({
    transform: "m.ts:step",
    source: "src1",
    params: { lr: 0.1, secret_key: "s1" },
    secrets: ["secret_key"],
    inputs: [{ param: "data", uid: "u1", hash: "h1" }],
    env: { node: "v20" },
    ...over
  })

  it("changes with every component and with nothing else", () => {
    const base = cacheKeyOf(material())
    expect(cacheKeyOf(material())).toBe(base)
    for (const over of [{ source: "src2" }, { params: { lr: 0.2, secret_key: "s1" } }, { inputs: [{ param: "data", uid: "u2", hash: "h2" }] }, { env: { node: "v22" } }, { version: "2" }])
      expect(cacheKeyOf(material(over))).not.toBe(base)
    // the uid of an input does not matter, its content does
    expect(cacheKeyOf(material({ inputs: [{ param: "data", uid: "other", hash: "h1" }] }))).toBe(base)
  })

  it("keeps every key's text: the canonical JSON of the components, so earlier caches stay valid", () => {
    const full = material({ code: "c1", result: "r1", version: "2", schemas: { output: "s9", "input:data": "s8" }, inputs: [{ param: "data", uid: "u1", hash: "h1" }, { param: "more[0]", uid: "u2", hash: 'h"2' }], env: {} })
    // Computed by the previous implementation (canonicalJson of the whole object).
    expect(cacheKeyOf(material())).toBe("PtiKu-LbiOU6J9HZq352XA")
    expect(cacheKeyOf(full)).toBe("-KTDVGvewsqsNRjFpwgGmA")
    for (const m of [material(), full, material({ inputs: [], params: {}, env: { b: "1", a: "2" } })]) {
      const { transform, source, code, result, params, inputs, env, version, schemas } = m
      const generic = canonicalJson({
        transform,
        source,
        ...(code !== undefined ? { code } : {}),
        ...(result !== undefined ? { result } : {}),
        params,
        inputs: inputs.map((i) => ({ param: i.param, hash: i.hash })),
        env,
        ...(version !== undefined ? { version } : {}),
        ...(schemas !== undefined ? { schemas } : {})
      })
      expect(cacheKeyOf(m)).toBe(hashString(generic))
    }
  })

  it("stores secrets redacted, and the diff still says a secret changed", () => {
    const a = partsOf(material())
    const b = partsOf(material({ params: { lr: 0.1, secret_key: "s2" } }))
    expect(a.params.secret_key).toBe("redacted")
    expect(JSON.stringify(a)).not.toContain("s1")
    expect(diffParts(a, b, true).map((c) => c.detail)).toEqual(["a secret param (secret_key) changed; its value is redacted"])
    expect(diffParts(a, partsOf(material({ source: "x", env: { node: "v22" } })), true).map((c) => c.component)).toEqual(["code", "env"])
  })
})
