/**
 * Postgres string literals written without the driver: the same text as the pg driver's
 * `escapeLiteral` (which the one-round-trip statements used before), for any string.
 */
import { FastCheck as fc } from "effect"
import pg from "pg"
import { expect, it } from "vitest"
import { pgStringLiteral } from "../../../src/db/dialects/escape.js"

it("writes what the pg driver's escapeLiteral writes, for any string", () => {
  const tricky = fc.constantFrom("'", "\\", "''", "\\'", "E'", "$1", "\n", "\0", "é", "🧬")
  const text = fc.array(fc.oneof(fc.string({ unit: "binary" }), tricky)).map((parts) => parts.join(""))
  fc.assert(
    fc.property(text, (s) => pgStringLiteral(s) === pg.escapeLiteral(s).trimStart()),
    { numRuns: 2000 }
  )
  expect(pgStringLiteral("a'b\\c")).toBe("E'a''b\\\\c'")
  expect(pgStringLiteral("plain")).toBe("'plain'")
})
