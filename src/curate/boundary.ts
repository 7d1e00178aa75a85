/**
 * Step boundaries: `step({ name, inputs: { table: schema }, output: schema }, body)` validates
 * the named arguments before the body runs and the returned artifact before the run is
 * recorded (beyond LaminDB: its curators validate data, not the edges of a pipeline).
 *
 * - An input that fails its schema fails the call before any run is started, with a
 *   `ValidationError` whose `boundary` names the step, the argument, the artifact and the schema
 *   and whose `problems` carry every problem as data.
 * - An output that fails makes the body fail: the run ends errored and the artifacts it created
 *   go to trash, as for any failing step (src/flow/lifecycle.ts).
 * - A success is cached per (artifact content, schema hash) — see validationCache.ts — so a
 *   rerun does not read the data again.
 * - The schema hashes enter the step's cache key (`input:<argument>`, `output`): a changed schema
 *   is a miss, and `lamina why` names it.
 *
 * Values are validated with no current run, so reading them is not recorded as lineage (an
 * output is not an input of the run that made it).
 *
 * @module
 */
import { Cause, Effect, Option } from "effect"
import { InvalidArgument, ValidationError, type StepBoundary } from "../errors.js"
import { CurrentRun } from "../flow/CurrentRun.js"
import { arrow } from "../formats/table/arrow.js"
import { Artifact } from "../registry/Artifact.js"
import type { Schema } from "../registry/Schema.js"
import type { SchemaDefinition } from "../registry/schema/definition.js"
import { AnnDataCurator } from "./AnnDataCurator.js"
import { Curator } from "./Curator.js"
import { DataFrameCurator } from "./DataFrameCurator.js"
import { isCachedValid, rememberValid, type Dependencies } from "./validationCache.js"
import type { TableReport } from "./validateTable.js"

/** A schema as a boundary names it: a Schema record, or a schema's name or uid. */
export type SchemaRef = Schema | string

/** The step options that declare boundaries. */
export interface BoundaryOptions {
  /** Argument name → the schema its artifact (or Arrow table) must validate against, before the body runs. */
  readonly inputs?: Readonly<Record<string, SchemaRef>>
  /** The schema the returned artifact must validate against, before the run is recorded. */
  readonly output?: SchemaRef
}

/** A step's boundaries with their schemas resolved, for one call. */
export interface ResolvedBoundary {
  readonly inputs: ReadonlyArray<readonly [string, SchemaDefinition]>
  readonly output: SchemaDefinition | undefined
  /** For the cache key: `input:<argument>` / `output` → schema hash. */
  readonly hashes: Readonly<Record<string, string>>
}

/** Whether `options` declares any boundary. */
export const hasBoundary = (options: BoundaryOptions): boolean => options.inputs !== undefined || options.output !== undefined

const schemaLabel = (d: SchemaDefinition): string => d.schema.name ?? d.schema.uid

const resolveOne = (step: string, where: string, ref: SchemaRef) =>
  Effect.flatMap(Curator, (curator) => curator.schema(ref)).pipe(
    Effect.catchTags({
      DoesNotExist: (e) => Effect.fail(new InvalidArgument({ message: `Step '${step}': the schema of ${where} is not found: ${e.message}` })),
      MultipleResultsFound: (e) => Effect.fail(new InvalidArgument({ message: `Step '${step}': the schema of ${where} is ambiguous: ${e.message} Pass the Schema record or its uid.` }))
    })
  )

/** Resolve the schemas of a step's boundaries (typed `InvalidArgument` for a missing one). */
export const resolveBoundary = (step: string, options: BoundaryOptions) =>
  Effect.gen(function* () {
    const inputs: Array<readonly [string, SchemaDefinition]> = []
    const hashes: Record<string, string> = {}
    for (const [argument, ref] of Object.entries(options.inputs ?? {})) {
      const def = yield* resolveOne(step, `input '${argument}'`, ref)
      inputs.push([argument, def])
      hashes[`input:${argument}`] = def.schema.hash
    }
    const output = options.output === undefined ? undefined : yield* resolveOne(step, "its output", options.output)
    if (output !== undefined) hashes.output = output.schema.hash
    return { inputs, output, hashes } satisfies ResolvedBoundary
  })

/** What a validation result depends on, from its reports. */
const dependenciesOf = (reports: ReadonlyArray<TableReport>): Dependencies => ({
  columns: [...new Set(reports.flatMap((r) => r.columns))],
  terms: reports.flatMap((r) => [
    ...r.categoricals.map((c) => ({ sources: c.sources, values: [...c.matches.keys()] })),
    ...(r.index !== undefined ? [{ sources: [r.index.source], values: r.index.values }] : [])
  ])
})

/** Validate one artifact against `def`, unless its content validated against the same schema before. */
const validateArtifact = (artifact: Artifact, def: SchemaDefinition) =>
  Effect.gen(function* () {
    const key = artifact.hash === null ? undefined : { artifactHash: artifact.hash, suffix: artifact.suffix ?? "", schemaHash: def.schema.hash }
    if (key !== undefined && (yield* isCachedValid(key))) return "cached" as const
    const composite = Object.keys(def.components).length > 0
    const reports = composite
      ? yield* Effect.flatMap(AnnDataCurator.make(artifact, def.schema), (c) => c.validate())
      : [yield* Effect.flatMap(DataFrameCurator.make(artifact, def.schema), (c) => c.validate())]
    if (key !== undefined) yield* rememberValid(key, dependenciesOf(reports))
    return "validated" as const
  })

const describeValue = (v: unknown): string => (v === null ? "null" : v === undefined ? "undefined" : Array.isArray(v) ? "an array" : typeof v === "object" ? `a ${(v as object).constructor?.name ?? "object"}` : `a ${typeof v}`)

/** Validate a boundary value (an artifact, or an in-memory Arrow table), failing with the boundary named. */
const validateValue = (where: Omit<StepBoundary, "schema" | "artifact">, def: SchemaDefinition, value: unknown) => {
  const what = where.side === "input" ? `input '${where.argument}'` : "its output"
  const artifact = value instanceof Artifact ? value : undefined
  const boundary: StepBoundary = { ...where, schema: schemaLabel(def), ...(artifact !== undefined ? { artifact: artifact.uid } : {}) }
  const check =
    artifact !== undefined
      ? validateArtifact(artifact, def)
      : Effect.flatMap(arrow, ({ Table }) =>
          value instanceof Table && Object.keys(def.components).length === 0
            ? Effect.as(Effect.flatMap(DataFrameCurator.make(value, def.schema), (c) => c.validate()), "validated" as const)
            : Effect.fail(
                new InvalidArgument({
                  message: `Step '${where.step}': ${what} must be an Artifact${Object.keys(def.components).length === 0 ? " or an Arrow Table" : ""} to validate against schema '${schemaLabel(def)}', got ${describeValue(value)}.`
                })
              )
        )
  const label = artifact !== undefined ? ` (artifact ${artifact.uid}${artifact.key !== null ? ` '${artifact.key}'` : ""})` : ""
  return check.pipe(
    Effect.catchTag("ValidationError", (e) =>
      Effect.fail(
        new ValidationError({
          message: `Step '${where.step}': ${what}${label} does not validate against schema '${schemaLabel(def)}'${where.side === "output" ? "; the run ends errored and the artifacts it created go to trash" : ""}:\n${e.message}`,
          ...(e.problems !== undefined ? { problems: e.problems } : {}),
          boundary
        })
      )
    ),
    // Reading the value for validation is not lineage: no current run.
    Effect.locally(CurrentRun, Option.none()),
    Effect.tap((how) => Effect.logDebug(`step '${where.step}': ${what}${label} ${how === "cached" ? "validated before" : "validated"} against schema '${schemaLabel(def)}'`))
  )
}

/** Validate the arguments named by the boundary (`bound`: the call's arguments by parameter name). */
export const checkInputs = (step: string, boundary: ResolvedBoundary, bound: ReadonlyArray<{ readonly name: string; readonly value: unknown }>) =>
  Effect.forEach(
    boundary.inputs,
    ([argument, def]) => {
      const arg = bound.find((b) => b.name === argument)
      if (arg === undefined)
        return Effect.fail(
          new InvalidArgument({
            message: `Step '${step}' declares inputs.${argument} but has no argument '${argument}' (its arguments: ${bound.map((b) => `'${b.name}'`).join(", ") || "none"}). Name a parameter of the step function.`
          })
        )
      return validateValue({ step, side: "input", argument }, def, arg.value)
    },
    { discard: true }
  )

const isPromiseLike = (u: unknown): u is PromiseLike<unknown> => typeof u === "object" && u !== null && typeof (u as { readonly then?: unknown }).then === "function"

/**
 * `fn` with its return value validated against the output schema (`output`: the definition
 * resolved for the call's cache key, or a reference resolved when the body returns — on a
 * runner); a failure fails the body, so the run ends errored and its outputs go to trash.
 */
export const withOutputCheck = (fn: Function, step: string, output: SchemaRef | SchemaDefinition): Function => {
  const definition = typeof output === "object" && "members" in output ? Effect.succeed(output) : resolveOne(step, "its output", output)
  return function (this: unknown, ...args: Array<unknown>) {
    const out: unknown = fn.apply(this, args)
    const value: Effect.Effect<unknown, unknown, never> = Effect.isEffect(out)
      ? (out as Effect.Effect<unknown, unknown, never>)
      : isPromiseLike(out)
        ? Effect.tryPromise({
            try: () => Promise.resolve(out),
            catch: (e) => new Cause.UnknownException(e, e instanceof Error ? e.message : `the Promise rejected with ${String(e)}`)
          })
        : Effect.succeed(out)
    return Effect.tap(value, (v) => Effect.flatMap(definition, (def) => validateValue({ step, side: "output" }, def, v)))
  }
}
