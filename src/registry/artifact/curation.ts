/**
 * The hook through which `Artifact.fromTable(table, { schema })` validates and annotates: the
 * registry declares it, the curation layer (src/curate, part of `Lamina.layer`) provides it —
 * so the registry never imports the curators that sit above it.
 *
 * @module
 */
import type * as SqlClient from "@effect/sql/SqlClient"
import type { Table } from "apache-arrow"
import { Context, type Effect } from "effect"
import type { DoesNotExist, IntegrityError, InvalidArgument, MultipleResultsFound, StorageError, ValidationError } from "../../errors.js"
import type { Instance } from "../../instance/Instance.js"

/** A schema by record, uid or name. */
export type SchemaRef = string | { readonly id: number; readonly uid: string; readonly hash: string }

/** What validating a table before its save yields: how to annotate the saved artifact. */
export type Annotate = (artifactId: number) => Effect.Effect<void, ValidationError | StorageError | IntegrityError, SqlClient.SqlClient | Instance>

/** Validates a table against a schema (failing with every problem) and returns how to annotate the saved artifact. */
export class TableCuration extends Context.Tag("lamina/TableCuration")<
  TableCuration,
  {
    readonly prepare: (table: Table, schema: SchemaRef) => Effect.Effect<Annotate, ValidationError | InvalidArgument | DoesNotExist | MultipleResultsFound | StorageError | IntegrityError>
  }
>() {}
