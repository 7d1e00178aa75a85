/**
 * What importing the package costs: the entry points reach, through static imports, none of the
 * libraries only some instances or commands use — the Postgres driver, the S3 client, the YAML
 * parser, Arrow's package root and the binary format libraries. Each is imported where it is
 * needed (`import()`), so an embedded instance, and every CLI command but the few that read
 * data, starts without evaluating them (≈ 0.5 s of every start, and 0.6 s of every CLI command,
 * before; bench/README.md). Read from the compiled output, whose imports are what
 * Node evaluates (type-only imports are gone).
 */
import { existsSync, readFileSync } from "node:fs"
import * as path from "node:path"
import { parse } from "es-module-lexer"
import { beforeAll, describe, expect, it } from "vitest"

const dist = path.resolve("dist/src")

/** Imported on demand only: evaluating any of them at start is a regression. */
const LAZY = ["pg", "@effect/sql-pg", "@aws-sdk/client-s3", "yaml", "apache-arrow", "h5wasm", "parquet-wasm", "zarrita", "@effect/platform-node", "@effect/cluster"]

/** Package name of a bare specifier: `@scope/name/deep` → `@scope/name`, `name/deep` → `name`. */
const packageOf = (specifier: string): string => specifier.split("/").slice(0, specifier.startsWith("@") ? 2 : 1).join("/")

/** Every bare specifier a module reaches through static imports and re-exports, with one path that reaches it. */
const staticReach = (entry: string): ReadonlyMap<string, ReadonlyArray<string>> => {
  const reached = new Map<string, ReadonlyArray<string>>()
  const seen = new Set<string>()
  const visit = (file: string, trail: ReadonlyArray<string>) => {
    if (seen.has(file)) return
    seen.add(file)
    const here = [...trail, path.relative(dist, file)]
    for (const i of parse(readFileSync(file, "utf8"))[0]) {
      if (i.type !== "static" || i.specifier === undefined) continue // import(), import.meta
      if (i.specifier.startsWith(".")) visit(path.resolve(path.dirname(file), i.specifier), here)
      else if (!reached.has(i.specifier)) reached.set(i.specifier, [...here, i.specifier])
    }
  }
  visit(entry, [])
  return reached
}

const lazyReached = (entry: string): ReadonlyArray<string> =>
  [...staticReach(path.resolve(dist, entry))].filter(([s]) => LAZY.includes(packageOf(s)) && s !== "apache-arrow/type").map(([, trail]) => trail.join(" → "))

describe("importing the package", () => {
  beforeAll(() => {
    expect(existsSync(path.join(dist, "index.js")), "dist/src is built (npm test builds it first)").toBe(true)
  })

  it("the main entry point and lamina/promise evaluate no driver, client or format library at start", () => {
    expect(lazyReached("index.js")).toEqual([])
    expect(lazyReached("promise/index.js")).toEqual([])
  })

  it("the lamina command (the bundle and the chunks it imports statically) loads them only in the commands that use them", () => {
    expect(lazyReached("../lamina.mjs")).toEqual([])
  })

  it("the walk sees what an entry point does import: lamina/formats reaches Arrow, the main entry SQLite", () => {
    expect([...staticReach(path.join(dist, "formats/index.js")).keys()].map(packageOf)).toContain("apache-arrow")
    expect([...staticReach(path.join(dist, "index.js")).keys()].map(packageOf)).toEqual(expect.arrayContaining(["effect", "better-sqlite3"]))
  })
})
