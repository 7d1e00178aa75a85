/**
 * Every registry, known statically: the declarations compiled into one catalog. A new registry
 * is one declaration file in `./declarations/`, one line here and one migration.
 *
 * @module
 */
import { buildCatalog } from "../schema/catalog.js"
import { ArtifactDecl } from "./declarations/artifact.js"
import { CollectionDecl } from "./declarations/collection.js"
import { FeatureDecl } from "./declarations/feature.js"
import { ProjectDecl } from "./declarations/project.js"
import { RecordDecl } from "./declarations/record.js"
import { ReferenceDecl } from "./declarations/reference.js"
import { RunDecl } from "./declarations/run.js"
import { StorageDecl } from "./declarations/storage.js"
import { TransformDecl } from "./declarations/transform.js"
import { ULabelDecl } from "./declarations/ulabel.js"
import { UserDecl } from "./declarations/user.js"

/** The declarations of every registry, by name. */
export const declarations = {
  User: UserDecl,
  Storage: StorageDecl,
  Transform: TransformDecl,
  Run: RunDecl,
  Artifact: ArtifactDecl,
  Feature: FeatureDecl,
  ULabel: ULabelDecl,
  Record: RecordDecl,
  Project: ProjectDecl,
  Reference: ReferenceDecl,
  Collection: CollectionDecl
} as const

/** Every registry's compiled model, by name. */
export const catalog = buildCatalog(declarations)

export const ArtifactModel = catalog.Artifact
export const RunModel = catalog.Run
export const TransformModel = catalog.Transform
export const StorageModel = catalog.Storage
export const UserModel = catalog.User
export const FeatureModel = catalog.Feature
export const ULabelModel = catalog.ULabel
export const RecordRegistryModel = catalog.Record
export const ProjectModel = catalog.Project
export const ReferenceModel = catalog.Reference
export const CollectionModel = catalog.Collection
