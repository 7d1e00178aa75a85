/**
 * `step()` / `flow()` definitions: options of the wrong type (JavaScript callers) throw an
 * `InvalidArgument` when the step is defined, instead of being ignored (`concurrency: -1`,
 * `cache: "yes"`) or failing later inside a run (`ignore: 5`).
 */
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { InvalidArgument } from "../../src/errors.js"
import { flow, step } from "../../src/flow/index.js"

const body = () => Effect.succeed(1)

describe("step and flow options", () => {
  it("rejects options of the wrong type when the step or flow is defined", () => {
    const cases: ReadonlyArray<readonly [unknown, string]> = [
      [{ name: "s", concurrency: -1 }, "concurrency must be a positive integer"],
      [{ name: "s", concurrency: 0 }, "concurrency must be a positive integer"],
      [{ name: "s", concurrency: "2" }, "concurrency must be a positive integer"],
      [{ name: "s", cache: "yes" }, "cache must be true or false"],
      [{ name: "s", ignore: 5 }, "ignore must be a list of parameter names"],
      [{ name: "s", ignore: ["a", 1] }, "ignore must be a list of parameter names"],
      [{ name: 5 }, "name must be a non-empty string"],
      [{ name: "" }, "name must be a non-empty string"],
      [{ name: "s", key: 5 }, "key must be a string"],
      [{ name: "s", description: {} }, "description must be a string"],
      [{ name: "s", fingerprint: "modul" }, 'fingerprint must be "module" or "function"'],
      [{ name: "s", env: ["MIN"] }, 'env must be a list of "node"'],
      [{ name: "s", env: "var:MIN" }, 'env must be a list of "node"'],
      [{ name: "s", env: ["var:"] }, 'env must be a list of "node"'],
      [null, "pass a name or an options object"],
      [5, "pass a name or an options object"]
    ]
    for (const [options, message] of cases) {
      // @ts-expect-error options of the wrong type
      expect(() => step(options, body)).toThrow(InvalidArgument)
      // @ts-expect-error options of the wrong type
      expect(() => step(options, body)).toThrow(message)
    }
    // @ts-expect-error nested is a boolean
    expect(() => flow({ name: "f", nested: "yes" }, body)).toThrow("nested must be true or false")
    // Valid options still define a step.
    expect(typeof step({ name: "ok", concurrency: 2, cache: false, ignore: ["x"], fingerprint: "function", env: ["node", "var:MIN", "package:effect"] }, body)).toBe("function")
    expect(typeof flow("ok", body)).toBe("function")
  })
})
