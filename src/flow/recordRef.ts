/**
 * Record references live at registry level (`src/registry/recordRef.ts`): registries brand
 * their records without importing the flow layer.
 *
 * @module
 */
export * from "../registry/recordRef.js"
