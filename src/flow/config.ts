/**
 * `FlowConfig`: settings of the lineage engine for a whole program — a global limit on
 * concurrently executing steps and where progress goes. Defaults apply when it is not provided.
 *
 * @module
 */
import { Context, Layer } from "effect"
import type { ProgressSink } from "./progress.js"

/** Engine settings. */
export interface FlowSettings {
  /** At most this many step bodies execute at once in a flow (cache hits are not limited). */
  readonly concurrency?: number
  /** Progress sink; default none. Use `stderrProgress` for long runs. */
  readonly progress?: ProgressSink
}

/** The engine settings service (a reference with defaults: no limit, no progress output). */
export class FlowConfig extends Context.Reference<FlowConfig>()("lamina/FlowConfig", {
  defaultValue: (): FlowSettings => ({})
}) {}

/** Provide engine settings, e.g. `Layer.merge(Lamina.layer(...), FlowConfig.layer({ concurrency: 4 }))`. */
export const layerFlowConfig = (settings: FlowSettings): Layer.Layer<FlowConfig> => Layer.succeed(FlowConfig, settings)
