/**
 * Registry declarations: each registry is declared once, in one file — fields with types,
 * nullability and defaults, uid length, forward relations with LaminDB's related name for the
 * reverse side, many-to-many link tables, key aliases, enum keys, computed fields, JSON side
 * tables, search fields and key resolvers. `buildCatalog` (`./catalog.ts`) compiles a set of
 * declarations into models; nothing registers itself on import.
 *
 * @module
 */
import type { FieldDecl } from "./field.js"
import type { ComputedField, EnumKey, HiddenRecords, JsonIndex, TableExpansion } from "./model.js"
import type { KeyResolver } from "./resolver.js"

/** A foreign key: `fk("Run", "run_id", "output_artifacts")`. */
export interface ForeignKeyDecl<M extends string = string, R extends string | undefined = string | undefined> {
  readonly model: M
  readonly column: string
  /** The reverse relation's name on the target (LaminDB's `related_name`). */
  readonly related: R
}

/** A many-to-many link table. */
export interface LinkDecl<M extends string = string, R extends string | undefined = string | undefined> {
  readonly model: M
  readonly table: string
  /** Link column pointing at the declaring registry's id. */
  readonly selfColumn: string
  /** Link column pointing at the related registry's id. */
  readonly otherColumn: string
  /** The name of the same link seen from the other side. */
  readonly related: R
}

/** One registry's declaration. */
export interface RegistryDecl {
  readonly name: string
  readonly table: string
  readonly uidLength: number
  readonly versioned: boolean
  readonly fields: Readonly<Record<string, FieldDecl>>
  readonly relations?: Readonly<Record<string, ForeignKeyDecl>>
  readonly links?: Readonly<Record<string, LinkDecl>>
  /** `alias: "path__through__relations"`. */
  readonly aliases?: Readonly<Record<string, string>>
  readonly enums?: Readonly<Record<string, EnumKey>>
  readonly computed?: Readonly<Record<string, ComputedField>>
  readonly jsonIndexes?: Readonly<Record<string, JsonIndex>>
  readonly searchFields: ReadonlyArray<string>
  readonly searchIndex?: string
  readonly hidden?: HiddenRecords
  readonly resolvers?: ReadonlyArray<KeyResolver>
  /** Named groups of extra `toTable` columns (`include: ["features"]`). */
  readonly expansions?: Readonly<Record<string, TableExpansion>>
}

/** Declare a registry (keeps the literal names for compile-time checks). */
export const defineRegistry = <const D extends RegistryDecl>(decl: D): D => decl

/** A foreign key on `column` to `model`; `related` names the reverse side. */
export function fk<const M extends string>(model: M, column: string): ForeignKeyDecl<M, undefined>
export function fk<const M extends string, const R extends string>(model: M, column: string, related: R): ForeignKeyDecl<M, R>
export function fk(model: string, column: string, related?: string): ForeignKeyDecl {
  return { model, column, related }
}

/** A many-to-many relation through `table`; `related` names it on the other side. */
export function m2m<const M extends string>(model: M, link: LinkTable): LinkDecl<M, undefined>
export function m2m<const M extends string, const R extends string>(model: M, link: LinkTable, related: R): LinkDecl<M, R>
export function m2m(model: string, link: LinkTable, related?: string): LinkDecl {
  return { model, ...link, related }
}

/** A link table and its two columns. */
export interface LinkTable {
  readonly table: string
  readonly selfColumn: string
  readonly otherColumn: string
}
