/**
 * `lamina/promise`: all of Lamina for async/await code — the same registries, queries and
 * lineage engine as the Effect API, under the same names, returning Promises.
 *
 * ```ts
 * import { connect } from "lamina/promise"
 *
 * await using lm = await connect()                       // the current instance (lamina init)
 * const clean = lm.step("clean", async (raw: Artifact) => { … })
 * const pipeline = lm.flow("pipeline", async (keys: string[]) =>
 *   Promise.all(keys.map(async (key) => clean(await lm.Artifact.get({ key })))))
 * await pipeline(["raw/a.csv"])                          // a rerun is all cache hits
 * await lm.Run.filter({ params__minValue: 0.5 }).toArray()
 * ```
 *
 * Errors are the Effect API's classes, thrown as rejections with the same messages
 * (`e instanceof DoesNotExist`). `lm.runtime` is the Effect runtime of the current run, for
 * mixing both APIs in one run tree.
 *
 * @module
 */
export { connect, Connection, type ConnectOptions, type Registries } from "./connection.js"
export type { PromiseFlow, PromiseMethodDecorator, PromiseStep, EffectSide, EffectArgs } from "./tracking.js"
export type { SweepResult } from "./sweep.js"
export type { Accept, Accepting, Artifact, Bridged, Closeable, PendingArtifact, Promised, PromiseQuerySet } from "./types.js"
export * from "../errors.js"
export { FlowFailed, StepFailed, RunStatus, stderrProgress, collectProgress, type ProgressEvent, type ProgressSink } from "../index.js"
export { Agg, Q } from "../query/index.js"
export type { Run } from "../registry/Run.js"
export type { Transform } from "../registry/Transform.js"
export type { StepOptions, FlowOptions, TrackOptions, SweepOptions, Grid } from "../flow/index.js"
export type { ArtifactOptions, TableArtifactOptions, AnnDataArtifactOptions } from "../registry/Artifact.js"
