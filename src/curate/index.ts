/**
 * Curation: validate, standardize and annotate datasets against schemas (LaminDB's curators).
 *
 * @module
 */
export { Curator, layer, layerWith, make, sourceText, type CuratorService, type TermMatch, type TermSource } from "./Curator.js"
export { DataFrameCurator, type SaveArtifactOptions } from "./DataFrameCurator.js"
export type { CategoricalReport, TableReport } from "./validateTable.js"
export { AnnDataCurator } from "./AnnDataCurator.js"
export { tableCurationLayer } from "./tableCuration.js"
export type { BoundaryOptions, SchemaRef } from "./boundary.js"
