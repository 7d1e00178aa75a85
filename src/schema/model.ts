/**
 * A compiled registry model: a declaration (`./declare.ts`) with its relations resolved
 * against the catalog, reverse relations derived from the forward ones, and the facts the
 * query compiler needs. The compiler reads only this; it never names a registry.
 *
 * @module
 */
import type { Sql } from "../db/sql.js"
import type { FieldDecl, FieldType } from "./field.js"
import type * as SqlClient from "@effect/sql/SqlClient"
import type { Effect } from "effect"
import type { Dialect } from "../db/dialect.js"
import type { DoesNotExist, InvalidArgument, StorageError } from "../errors.js"

/** A foreign key to another registry (`run` → `lamina_run` via `run_id`). */
export interface Relation {
  /** The related registry's name, e.g. "Run". */
  readonly model: string
  /** The column on this table holding the related id. */
  readonly column: string
  /** The related model. */
  readonly target: () => Model
}

/** A many-to-many relation through a link table (either direction). */
export interface LinkRelation {
  readonly model: string
  readonly table: string
  /** Link column pointing at this model's id. */
  readonly selfColumn: string
  /** Link column pointing at the related model's id. */
  readonly otherColumn: string
  readonly target: () => Model
}

/** A reverse foreign key: rows of `model` whose `column` points at this record. */
export interface ReverseRelation {
  readonly model: string
  readonly column: string
  readonly target: () => Model
}

/** A filter key that names values of an integer field (`status: "completed"` ↔ `_status_code = 0`). */
export interface EnumKey<V extends Readonly<Record<string, number>> = Readonly<Record<string, number>>> {
  readonly field: string
  readonly values: V
}

/** A field computed from columns (filterable, orderable and selectable like a field). */
export interface ComputedField<T extends FieldType = FieldType> {
  readonly type: T
  /** The expression, over the registry's columns (`column("uid")`). */
  readonly expr: (column: (name: string) => Sql) => Sql
}

/** A side table indexing a JSON field: one row per JSON node, keyed by owner id and key path. */
export interface JsonIndex {
  readonly table: string
  /** Column holding the owning record's id. */
  readonly owner: string
}

/** Records hidden from listings unless the query filters that field (`kind` starting `__lamin`). */
export interface HiddenRecords {
  readonly field: string
  readonly prefix: string
}

/**
 * A registry model. The type parameters keep the literal names so that filter keys can be
 * checked at compile time (see `src/query/types.ts`).
 */
export interface Model<
  Fields extends Readonly<Record<string, FieldType>> = Readonly<Record<string, FieldType>>,
  Relations extends Readonly<Record<string, Relation>> = Readonly<Record<string, Relation>>,
  Links extends Readonly<Record<string, LinkRelation>> = Readonly<Record<string, LinkRelation>>,
  Name extends string = string,
  Reverse extends Readonly<Record<string, ReverseRelation>> = Readonly<Record<string, ReverseRelation>>,
  Aliases extends Readonly<Record<string, ReadonlyArray<string>>> = Readonly<Record<string, ReadonlyArray<string>>>,
  Enums extends Readonly<Record<string, EnumKey>> = Readonly<Record<string, EnumKey>>,
  Computed extends Readonly<Record<string, ComputedField>> = Readonly<Record<string, ComputedField>>,
  Columns extends Readonly<Record<string, FieldDecl>> = Readonly<Record<string, FieldDecl>>
> {
  /** Registry name as users write it: "Artifact", "Run", … */
  readonly name: Name
  readonly table: string
  /** Length of a full uid (base62). */
  readonly uidLength: number
  /** True for registries with version families (uid stem + suffix, is_latest). */
  readonly versioned: boolean
  /** Field name → logical type. */
  readonly fields: Fields
  /** Field name → full declaration (nullability, default, …). */
  readonly columns: Columns
  /** Forward relations by name (`run`, `storage`, `created_by`). */
  readonly relations: Relations
  /** Many-to-many relations by name, declared here or derived from the other side. */
  readonly links: Links
  /** Reverse foreign keys by their related name (`Transform.runs`). */
  readonly reverse: Reverse
  /** Key aliases: `transform` → `["run", "transform"]`. */
  readonly aliases: Aliases
  readonly enums: Enums
  readonly computed: Computed
  readonly jsonIndexes: Readonly<Record<string, JsonIndex>>
  /** Text fields `search()` looks at, most important first. */
  readonly searchFields: ReadonlyArray<string>
  /** SQLite FTS5 trigram table over the search fields, if any. */
  readonly searchIndex: string | undefined
  readonly hidden: HiddenRecords | undefined
  readonly resolvers: ReadonlyArray<KeyResolver>
  /** Named groups of extra `toTable` columns (`include: ["features"]`). */
  readonly expansions: Readonly<Record<string, TableExpansion>>
}

/** One extra `toTable` column: a value per requested record id, in the order asked. */
export interface ExpandedColumn {
  readonly name: string
  readonly type: FieldType
  /** Many values per record (an Arrow `List` column). */
  readonly list: boolean
  readonly values: ReadonlyArray<unknown>
}

/**
 * Extra `toTable` columns computed for a page of records, declared by name on a registry
 * (`toTable({ include: ["features"] })` pivots feature values into one column per feature).
 */
export interface TableExpansion {
  readonly columns: (
    model: Model,
    ids: ReadonlyArray<number>
  ) => Effect.Effect<ReadonlyArray<ExpandedColumn>, InvalidArgument | DoesNotExist | StorageError, SqlClient.SqlClient>
}

// Key resolvers (see `./resolver.ts`): declared on a model, so their types live with it.

/** What a resolver is asked. */
export interface KeyResolverInput {
  readonly model: Model
  /** The full key, e.g. `cell_type__in`. */
  readonly key: string
  /** The key split at `__`. */
  readonly parts: ReadonlyArray<string>
  /** The first part. */
  readonly root: string
  readonly value: unknown
  readonly dialect: Dialect
  /** SQL alias of the registry's table in the query (`t0`). */
  readonly alias: string
}

/** A resolver's answer. */
export type KeyResolution =
  | { readonly _tag: "Rewrite"; readonly condition: object }
  | { readonly _tag: "Sql"; readonly sql: Sql }

/** A pluggable resolver of filter keys. */
export interface KeyResolver {
  /** Shown in errors. */
  readonly name: string
  readonly resolve: (
    input: KeyResolverInput
  ) => Effect.Effect<KeyResolution | undefined, InvalidArgument | DoesNotExist | StorageError, SqlClient.SqlClient>
}
