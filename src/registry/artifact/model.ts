/**
 * The Artifact registry's model (declared in `../declarations/artifact.ts`) and the plain
 * record type its rows decode to.
 *
 * @module
 */
import { ArtifactModel } from "../catalog.js"
import type { RecordOf } from "../model.js"

export { ArtifactModel } from "../catalog.js"

/** An artifact row as decoded from the registry. */
export type ArtifactRow = RecordOf<typeof ArtifactModel>
