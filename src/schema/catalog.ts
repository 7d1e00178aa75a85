/**
 * The catalog: a set of registry declarations compiled into models. Relations resolve their
 * target through the catalog (lazily, so declarations may refer to each other in any order),
 * and each forward relation or link with a `related` name adds the reverse side to its target
 * — one edge, written once. The types follow: a model's reverse names, aliases, enums and
 * computed fields are literal, so filter keys through them are checked at compile time.
 *
 * @module
 */
import type { ComputedField, EnumKey, LinkRelation, Model, Relation, ReverseRelation } from "./model.js"
import type { FieldDecl, FieldType } from "./field.js"
import type { ForeignKeyDecl, LinkDecl, RegistryDecl } from "./declare.js"

type Decls = Readonly<Record<string, RegistryDecl>>
type Mutable<T> = { -readonly [K in keyof T]: T[K] }
type Rels<D> = D extends { readonly relations: infer R } ? R : {}
type Lnks<D> = D extends { readonly links: infer L } ? L : {}
type Als<D> = D extends { readonly aliases: infer A } ? A : {}
type Ens<D> = D extends { readonly enums: infer E } ? E : {}
type Cmp<D> = D extends { readonly computed: infer C } ? C : {}

/** Names of reverse relations pointing at registry `N`. */
type ReverseNames<Ds extends Decls, N extends string> = {
  [R in keyof Ds]: {
    [K in keyof Rels<Ds[R]>]: Rels<Ds[R]>[K] extends ForeignKeyDecl<N, infer X> ? (X extends string ? X : never) : never
  }[keyof Rels<Ds[R]>]
}[keyof Ds]

/** Names of links declared on other registries that point at `N`, seen from `N`. */
type ReverseLinkNames<Ds extends Decls, N extends string> = {
  [R in keyof Ds]: {
    [K in keyof Lnks<Ds[R]>]: Lnks<Ds[R]>[K] extends LinkDecl<N, infer X> ? (X extends string ? X : never) : never
  }[keyof Lnks<Ds[R]>]
}[keyof Ds]

type FieldTypes<F> = { readonly [K in keyof F]: F[K] extends FieldDecl<infer T, boolean> ? T : never }
type ComputedTypes<C> = { readonly [K in keyof C]: C[K] extends ComputedField<infer T> ? ComputedField<T> : never }

/** The compiled model of registry `N` in the catalog of `Ds`. */
export type Compiled<Ds extends Decls, N extends keyof Ds & string> = Model<
  FieldTypes<Ds[N]["fields"]>,
  { readonly [K in keyof Rels<Ds[N]>]: Relation },
  { readonly [K in keyof Lnks<Ds[N]> | ReverseLinkNames<Ds, N>]: LinkRelation },
  N,
  { readonly [K in ReverseNames<Ds, N>]: ReverseRelation },
  { readonly [K in keyof Als<Ds[N]>]: ReadonlyArray<string> },
  Ens<Ds[N]> extends Readonly<Record<string, EnumKey>> ? Ens<Ds[N]> : {},
  ComputedTypes<Cmp<Ds[N]>>,
  Ds[N]["fields"]
>

/** Every compiled model of a catalog, by registry name. */
export type Catalog<Ds extends Decls> = { readonly [N in keyof Ds & string]: Compiled<Ds, N> }

/** Compile `decls` (registry name → declaration) into models. */
export const buildCatalog = <const Ds extends Decls>(decls: Ds): Catalog<Ds> => {
  const models = new Map<string, Mutable<Model>>()
  const resolve = (from: string, name: string) => (): Mutable<Model> => {
    const m = models.get(name)
    if (m === undefined) throw new Error(`${from} refers to the registry '${name}', which is not in this catalog.`)
    return m
  }
  for (const [key, d] of Object.entries(decls)) {
    if (d.name !== key) throw new Error(`Registry '${d.name}' is listed in the catalog as '${key}'.`)
    const fields: Record<string, FieldType> = {}
    for (const [n, fd] of Object.entries(d.fields)) fields[n] = fd.type
    const relations: Record<string, Relation> = {}
    for (const [n, r] of Object.entries(d.relations ?? {})) {
      if (d.fields[r.column] === undefined) throw new Error(`${d.name}.${n}: the column '${r.column}' is not a declared field.`)
      relations[n] = { model: r.model, column: r.column, target: resolve(`${d.name}.${n}`, r.model) }
    }
    const links: Record<string, LinkRelation> = {}
    for (const [n, l] of Object.entries(d.links ?? {}))
      links[n] = { model: l.model, table: l.table, selfColumn: l.selfColumn, otherColumn: l.otherColumn, target: resolve(`${d.name}.${n}`, l.model) }
    const aliases: Record<string, ReadonlyArray<string>> = {}
    for (const [n, p] of Object.entries(d.aliases ?? {})) aliases[n] = p.split("__")
    models.set(d.name, {
      name: d.name,
      table: d.table,
      uidLength: d.uidLength,
      versioned: d.versioned,
      fields,
      columns: d.fields,
      relations,
      links,
      reverse: {},
      aliases,
      enums: d.enums ?? {},
      computed: d.computed ?? {},
      jsonIndexes: d.jsonIndexes ?? {},
      searchFields: d.searchFields,
      searchIndex: d.searchIndex,
      hidden: d.hidden,
      resolvers: d.resolvers ?? [],
      expansions: d.expansions ?? {}
    })
  }
  // Reverse sides: one edge, declared once on the side holding the column or the link.
  for (const d of Object.values(decls)) {
    for (const [n, r] of Object.entries(d.relations ?? {})) {
      if (r.related === undefined) continue
      const target = resolve(`${d.name}.${n}`, r.model)()
      taken(target, r.related, `${d.name}.${n}`)
      target.reverse = { ...target.reverse, [r.related]: { model: d.name, column: r.column, target: resolve(`${r.model}.${r.related}`, d.name) } }
    }
    for (const [n, l] of Object.entries(d.links ?? {})) {
      if (l.related === undefined) continue
      const target = resolve(`${d.name}.${n}`, l.model)()
      taken(target, l.related, `${d.name}.${n}`)
      target.links = {
        ...target.links,
        [l.related]: { model: d.name, table: l.table, selfColumn: l.otherColumn, otherColumn: l.selfColumn, target: resolve(`${l.model}.${l.related}`, d.name) }
      }
    }
  }
  return Object.fromEntries(models) as unknown as Catalog<Ds>
}

const taken = (model: Model, name: string, by: string): void => {
  if (name in model.fields || name in model.relations || name in model.links || name in model.reverse || name in model.aliases)
    throw new Error(`${by}: the related name '${name}' is already used on ${model.name}.`)
}
