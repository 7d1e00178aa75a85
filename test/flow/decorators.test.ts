/**
 * `@flow()` / `@step()` (TC39 standard decorators) record what the wrappers record.
 */
import { Effect } from "effect"
import { expect, it } from "vitest"
import type { TrackingError } from "../../src/flow/index.js"
import type { FlowMethodCheck } from "../../src/flow/flow.js"
import { flow, FlowFailed, step } from "../../src/flow/index.js"
import type { Lamina } from "../../src/instance/Lamina.js"
import { Artifact } from "../../src/registry/Artifact.js"
import { Run } from "../../src/index.js"
import { describeBackends } from "../support/backends.js"
import { allRuns, loadText, saveText } from "./support.js"

class Pipeline {
  constructor(readonly dir: string) {}

  @step()
  shout(input: Artifact, marks = 2): Effect.Effect<Artifact, TrackingError, Lamina> {
    return Effect.gen(this, function* () {
      const text = yield* Effect.orDie(loadText(input))
      return yield* saveText(this.dir, "out/shout.txt", text.toUpperCase() + "!".repeat(marks))
    })
  }

  @step({ name: "measure" })
  size(a: Artifact): Effect.Effect<number, TrackingError, Lamina> {
    return Effect.succeed(a.size ?? 0)
  }

  @flow()
  run(input: Artifact): Effect.Effect<number, FlowFailed | TrackingError, Lamina> {
    return Effect.flatMap(this.shout(input), (a) => this.size(a))
  }
}

// The same pipeline with the wrappers.
const shout = step("shout", (dir: string, input: Artifact, marks = 2) =>
  Effect.gen(function* () {
    const text = yield* Effect.orDie(loadText(input))
    return yield* saveText(dir, "out/shout.txt", text.toUpperCase() + "!".repeat(marks))
  })
)
const measure = step("measure", (a: Artifact) => Effect.succeed(a.size ?? 0))
const run = flow("run", (dir: string, input: Artifact) => Effect.flatMap(shout(dir, input), (a) => measure(a)))

// Type test: a decorated method must declare what tracking adds (checked by tsc).
export class Undeclared {
  // @ts-expect-error the requirements must include Lamina
  @step()
  pure(): Effect.Effect<number, TrackingError> {
    return Effect.succeed(1)
  }
  // @ts-expect-error a flow's error type must include FlowFailed
  @flow()
  go(): Effect.Effect<number, TrackingError, Lamina> {
    return Effect.succeed(1)
  }
}

describeBackends("decorators", ({ instance }) => {
  it("record the same runs as the wrappers: kinds, keys, params, parents, caching", async () => {
    const i = await instance()
    const input = await i.run(saveText(i.dir, "in/d.txt", "hey"))
    const p = new Pipeline(i.dir)
    expect(await i.run(p.run(input))).toBe(5)
    expect(await i.run(p.run(input))).toBe(5)
    const decorated = await i.run(allRuns)
    expect(decorated.map((r) => [r.name, r.kind, r.status, r.key])).toEqual([
      ["run", "pipeline", 0, "test/flow/decorators.test.ts:Pipeline.run"],
      ["shout", "function", 0, "test/flow/decorators.test.ts:Pipeline.shout"],
      ["measure", "function", 0, "test/flow/decorators.test.ts:Pipeline.measure"],
      ["run", "pipeline", 0, "test/flow/decorators.test.ts:Pipeline.run"],
      ["shout", "function", 3, "test/flow/decorators.test.ts:Pipeline.shout"],
      ["measure", "function", 3, "test/flow/decorators.test.ts:Pipeline.measure"]
    ])
    expect(decorated[1]!.parent).toBe(decorated[0]!.uid)
    const shoutRun = await i.run(Run.get(decorated[1]!.uid))
    expect(shoutRun.params).toEqual({ input: `Artifact[${input.uid}]`, marks: 2 })
    expect(shoutRun.entrypoint).toBe("Pipeline.shout")

    expect(await i.run(run(i.dir, input))).toBe(5)
    const wrapped = (await i.run(allRuns)).slice(6)
    expect(wrapped.map((r) => [r.name, r.kind, r.status])).toEqual([
      ["run", "pipeline", 0],
      ["shout", "function", 0],
      ["measure", "function", 0]
    ])
    const wrappedShout = await i.run(Run.get(wrapped[1]!.uid))
    expect(wrappedShout.params).toEqual({ dir: i.dir, input: `Artifact[${input.uid}]`, marks: 2 })
    // same content: the wrapper's shout returns the decorated one's artifact (one artifact,
    // created by the decorated run; the wrapper's run is its recreating run)
    const outs = await i.run(Artifact.filter({ key: "out/shout.txt" }).toArray())
    expect(outs.map((a) => a.run_id)).toEqual([shoutRun.id])
    expect(await i.run(Run.filter({ recreated_artifacts__uid: outs[0]!.uid }).toArray())).toEqual([expect.objectContaining({ uid: wrapped[1]!.uid })])
  })

  it("keys a method step on its instance's fields: another instance's state is never a stale hit", async () => {
    const i = await instance()
    let executed = 0
    class Trainer {
      constructor(
        readonly lr: number,
        readonly client?: () => void
      ) {}
      @step()
      train(x: number): Effect.Effect<number, TrackingError, Lamina> {
        return Effect.sync(() => (executed++, x * this.lr))
      }
      @step({ ignore: ["this.client"] })
      tolerant(x: number): Effect.Effect<number, TrackingError, Lamina> {
        return Effect.sync(() => (executed++, x * this.lr))
      }
    }
    const train = flow({ name: "train-flow", ignore: ["t"] }, (t: Trainer) => t.train(2))
    expect(await i.run(train(new Trainer(1)))).toBe(2)
    expect(await i.run(train(new Trainer(10)))).toBe(20)
    expect(await i.run(train(new Trainer(10)))).toBe(20)
    expect(executed).toBe(2)
    const runs = (await i.run(allRuns)).filter((r) => r.name === "train")
    expect(runs.map((r) => r.status)).toEqual([0, 0, 3])
    const why = (await i.run(Run.why(runs[1]!.uid))).message
    expect(why).toContain("param 'this' changed")
    // run.params does not show the receiver: no made-up values
    expect(why).not.toContain("unset → unset")
    // A field that cannot be keyed is refused, naming it, unless ignored.
    const e = await i.fail(flow({ name: "client-flow", ignore: ["t"] }, (t: Trainer) => t.train(2))(new Trainer(1, () => {})))
    expect(e.message).toContain("'this.client'")
    const tolerant = flow({ name: "tolerant-flow", ignore: ["t"] }, (t: Trainer) => t.tolerant(3))
    expect(await i.run(tolerant(new Trainer(1, () => {})))).toBe(3)
    expect(await i.run(tolerant(new Trainer(2, () => {})))).toBe(6)
  })

  it("fails a decorated flow with FlowFailed naming the decorated step", async () => {
    const i = await instance()
    class Broken {
      @step()
      explode(): Effect.Effect<never, Error | TrackingError, Lamina> {
        return Effect.fail(new Error("kaboom"))
      }
      @flow()
      go(): Effect.Effect<never, FlowFailed | Error | TrackingError, Lamina> {
        return this.explode()
      }
    }
    const e = await i.fail(new Broken().go())
    expect(e).toBeInstanceOf(FlowFailed)
    expect(e).toMatchObject({ _tag: "FlowFailed", flow: "go", step: "explode" })
  })
})

// The compile error of a @flow method whose error type lacks FlowFailed names FlowFailed.
type MissingFlowFailed = keyof FlowMethodCheck<TrackingError, Lamina>
export const flowFailedIsNamed: MissingFlowFailed extends `the decorated flow's error type must include FlowFailed${string}` ? true : false = true
// …and one that has both passes the check.
export const complete: unknown extends FlowMethodCheck<FlowFailed | TrackingError, Lamina> ? true : false = true
