/**
 * Distributed execution on @effect/cluster: runners (`lamina worker`, `layerWorker`) execute
 * the steps flows dispatch to them when `cluster` (lamina/cluster) is provided.
 *
 * @module
 */
export { cluster, type ClusterOptions } from "./layer.js"
export { layerWorker, resolveWorker, Worker, type WorkerInfo, type WorkerOptions } from "./worker.js"
export { catalogOf, loadCatalog, type StepCatalog } from "./catalog.js"
export { StepRefused } from "./protocol.js"
export type { ClusterTiming } from "./config.js"
