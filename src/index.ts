/**
 * Lamina: lineage-native data framework and workflow engine for TypeScript, on Effect.
 *
 * @module
 */
export * from "./errors.js"
export { Artifact, type ArtifactJson, type ArtifactOptions, type PendingArtifact } from "./registry/Artifact.js"
export { RunStatus, type Run } from "./registry/Run.js"
export type { Transform } from "./registry/Transform.js"
export type { Storage } from "./registry/Storage.js"
export type { User } from "./registry/User.js"
export { QuerySet, type FilterSpec } from "./query/QuerySet.js"
export { ObjectStore } from "./storage/ObjectStore.js"
export { Instance } from "./instance/Instance.js"
export * as Lamina from "./instance/Lamina.js"
export * as Hash from "./storage/hash.js"
export * as Uid from "./registry/uid.js"
