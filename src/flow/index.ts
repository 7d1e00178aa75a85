/**
 * The lineage engine: `flow`, `step`, `track`/`finish`, `runMain`, `sweep`, caching and
 * progress. Re-exported from the package root.
 *
 * @module
 */
export { flow, type FlowDecorator, type FlowFunction, type FlowOptions, type FlowOptionsWithParams } from "./flow.js"
export { step, NOT_TRACKED, type StepDecorator, type StepFunction, type StepOptions, type StepOptionsWithParams } from "./step.js"
export { track, finish, tracked, type TrackOptions } from "./track.js"
export { runMain, type RunMainOptions } from "./runMain.js"
export { sweep, expandGrid, type Grid, type SweepOptions, type SweepOutcome } from "./sweep.js"
export { FlowConfig, layerFlowConfig, type FlowSettings } from "./config.js"
export { stderrProgress, collectProgress, type ProgressEvent, type ProgressSink } from "./progress.js"
export { StepFailed, FlowFailed } from "./errors.js"
export { registerCodec, type Codec } from "../tracker/canonical.js"
export { explainRun, type Explanation, type WhyOutcome } from "./why.js"
export type { EnvItem, Environment } from "./environment.js"
export type { TrackingError } from "./invoke.js"
export type { CacheParts, KeyChange } from "../tracker/cacheKey.js"
export { CurrentRun, currentRun, type RunScope } from "./CurrentRun.js"
