/**
 * The registry schema as one append-only list of migrations, each in its own file and written
 * once for both dialects. Never edit or reorder an applied migration: add a new file and one
 * line below. Ids are sparse and each line of work owns a range (see the task notes), so
 * parallel branches add different lines; the list is applied in id order.
 *
 * Tables follow LaminDB's registries and field names, prefixed `lamina_`.
 *
 * @module
 */
import { coreRegistries } from "./001-core-registries.js"
import { queryIndexes } from "./010-query-indexes.js"
import { runCaching } from "./020-run-caching.js"
import { runClaims } from "./021-run-claims.js"
import { artifactSlots } from "./030-artifact-slots.js"
import { lookupIndexes } from "./040-lookup-indexes.js"
import { runLeases } from "./060-run-leases.js"
import { codeFingerprints } from "./070-code-fingerprints.js"
import { recreatingRuns } from "./071-recreating-runs.js"
import { clusterFirstAttempt } from "./080-cluster-first-attempt.js"
import { transformPredecessors } from "./090-transform-predecessors.js"
import { annotationRegistries } from "./110-annotation-registries.js"
import { collections } from "./120-collections.js"
import { schemaRegistry } from "./150-schema-registry.js"
import { validationCache } from "./151-validation-cache.js"
import { clusterRuns } from "./170-cluster-runs.js"
import { searchTailMigration } from "./171-search-tail.js"
import { artifactKeyHead } from "./172-artifact-key-head.js"
import type { Migration } from "./migration.js"

export type { Migration } from "./migration.js"

/** Every migration, in id order. */
export const migrations: ReadonlyArray<Migration> = [
  coreRegistries,
  queryIndexes,
  runCaching,
  runClaims,
  artifactSlots,
  lookupIndexes,
  runLeases,
  codeFingerprints,
  recreatingRuns,
  clusterFirstAttempt,
  transformPredecessors,
  annotationRegistries,
  collections,
  schemaRegistry,
  validationCache,
  clusterRuns,
  searchTailMigration,
  artifactKeyHead
].sort((a, b) => a.id - b.id)
