/**
 * Listing records of any registry on the command line (`lamina ls`, `lamina search`): which
 * registries, how a record prints as JSON (LaminDB's snake_case field names) and as a table row.
 *
 * @module
 */
import { Effect } from "effect"
import { InvalidArgument } from "../errors.js"
import { Instance } from "../instance/Instance.js"
import { Q } from "../query/index.js"
import { LOOKUPS } from "../query/lookup.js"
import type { QuerySet } from "../query/QuerySet.js"
import type { Condition, OrderKey } from "../query/types.js"
import { Artifact } from "../registry/Artifact.js"
import type { Model } from "../registry/model.js"
import { Run, statusName } from "../registry/Run.js"
import { Storage } from "../registry/Storage.js"
import { Transform } from "../registry/Transform.js"
import { User } from "../registry/User.js"
import { Collection } from "../registry/Collection.js"
import { Feature } from "../registry/Feature.js"
import { Schema } from "../registry/Schema.js"
import { Project } from "../registry/Project.js"
import { Record as RecordRegistry } from "../registry/Record.js"
import { Reference } from "../registry/Reference.js"
import { ULabel } from "../registry/ULabel.js"
import { recordJson } from "./create.js"
import type { Output } from "./command.js"
import { formatSize, table } from "./present.js"

/** Registries the CLI lists. */
export const REGISTRIES = ["artifact", "run", "transform", "user", "storage", "feature", "ulabel", "record", "project", "reference", "collection", "schema"] as const

/** A registry name on the command line. */
export type RegistryName = (typeof REGISTRIES)[number]

/** What to list: conditions, ordering, a limit, or a search. */
export interface ListRequest {
  readonly filter: Readonly<Record<string, unknown>>
  readonly order: ReadonlyArray<string>
  readonly limit: number
  readonly search?: string
  /** Also list internal records (`__lamina_run__` environment artifacts); default hidden unless `kind` is filtered. */
  readonly all?: boolean
}

/** Check a registry name. */
export const registryName = (name: string | undefined): Effect.Effect<RegistryName, InvalidArgument> => {
  const n = (name ?? "artifact").toLowerCase()
  return (REGISTRIES as ReadonlyArray<string>).includes(n)
    ? Effect.succeed(n as RegistryName)
    : Effect.fail(new InvalidArgument({ message: `Unknown registry '${name}'. Use one of: ${REGISTRIES.join(", ")}.` }))
}

/** Parse `--filter KEY=VALUE` flags: values are JSON when they parse as JSON, else strings. */
export const parseFilters = (flags: ReadonlyArray<string>): Effect.Effect<Readonly<Record<string, unknown>>, InvalidArgument> =>
  Effect.suspend(() => {
    const spec: Record<string, unknown> = {}
    for (const f of flags) {
      const eq = f.indexOf("=")
      const key = eq < 0 ? "" : f.slice(0, eq).trim()
      if (key === "") return Effect.fail(new InvalidArgument({ message: `--filter expects KEY=VALUE (e.g. 'size__gt=1000'), got '${f}'.` }))
      const text = f.slice(eq + 1)
      let value: unknown = text
      try {
        value = JSON.parse(text)
      } catch {
        value = text
      }
      spec[key] = value
    }
    return Effect.succeed(spec)
  })

const distinctIds = (ids: ReadonlyArray<number | null>): Array<number> => [...new Set(ids.filter((id): id is number => id !== null))]

/** id → label for the records of a query (one query for a whole page of rows). */
const uidsById = <A extends { readonly id: number }, M extends Model>(ids: ReadonlyArray<number>, query: (ids: Array<number>) => QuerySet<A, M>, label: (a: A) => string) =>
  ids.length === 0
    ? Effect.succeed(new Map<number, string>())
    : Effect.map(query([...ids]).toArray(), (records) => new Map(records.map((r) => [r.id, label(r)] as const)))

const iso = (d: Date | null): string => (d === null ? "" : d.toISOString().replace("T", " ").slice(0, 19))

const build = <A, M extends Model>(all: QuerySet<A, M>, request: ListRequest): QuerySet<A, M> => {
  // CLI filters are untyped: keys are checked when the query compiles.
  const hidden = all.model.hidden
  const showHidden = request.all === true || hidden === undefined || Object.keys(request.filter).some((k) => k.split("__")[0] === hidden.field)
  // Like LaminDB's hidden `__lamindb…` artifacts: internal records stay out unless asked for.
  const visible = showHidden
    ? all
    : all.filter(Q.or({ [`${hidden.field}__isnull`]: true }, Q.not({ [`${hidden.field}__startswith`]: hidden.prefix })) as unknown as Condition<M>)
  const filtered = visible.filter(request.filter as unknown as Condition<M>)
  if (request.search !== undefined) return filtered.search(request.search, { limit: request.limit })
  const ordered = request.order.length > 0 ? filtered.orderBy(...(request.order as unknown as ReadonlyArray<OrderKey<M>>)) : filtered
  return ordered.limit(request.limit)
}

const show = <A>(
  out: Output,
  rows: ReadonlyArray<A>,
  json: (a: A) => unknown,
  header: ReadonlyArray<string>,
  row: (a: A) => ReadonlyArray<string>
): void => {
  if (out.wantsJson) out.json(rows.map(json))
  else out.line(rows.length === 0 ? "(no records)" : table(header, rows.map(row)))
}

/** Names of the types of `rows` (by type id). */
const typeNames = <E, R>(
  rows: ReadonlyArray<{ readonly type_id: number | null }>,
  fetch: (ids: ReadonlyArray<number>) => Effect.Effect<ReadonlyArray<{ readonly id: number; readonly name: string | null }>, E, R>
) =>
  Effect.map(fetch([...new Set(rows.flatMap((r) => (r.type_id === null ? [] : [r.type_id])))]), (types) => new Map(types.map((t) => [t.id, t.name ?? ""])))

/** Run a listing and print it (`--json`: one JSON array). */
export const list = (registry: RegistryName, request: ListRequest, out: Output) =>
  Effect.gen(function* () {
    switch (registry) {
      case "artifact": {
        const { settings } = yield* Instance
        const rows = yield* build(Artifact.filter(), request).toArray()
        const runs = yield* uidsById(distinctIds(rows.map((a) => a.run_id)), (ids) => Run.filter({ id__in: ids }), (r) => r.uid)
        const users = yield* uidsById(distinctIds(rows.map((a) => a.created_by_id)), (ids) => User.filter({ id__in: ids }), (u) => u.handle)
        // LaminDB's table columns: the run that created it (uid) and its creator (handle).
        const json = (a: Artifact) => ({
          ...a.toJSON(settings.storage),
          run: a.run_id === null ? null : (runs.get(a.run_id) ?? null),
          created_by: a.created_by_id === null ? null : (users.get(a.created_by_id) ?? null)
        })
        return show(out, rows, json, ["uid", "key", "version", "size", "created_at"], (a) => [
          a.uid,
          a.key ?? "–",
          a.version + (a.is_latest ? "*" : ""),
          formatSize(a.size),
          iso(a.created_at)
        ])
      }
      case "run": {
        const rows = yield* build(Run.filter(), request).toArray()
        return show(out, rows, (r) => ({ ...r, status: statusName(r._status_code) }), ["uid", "name", "status", "started_at", "finished_at"], (r) => [
          r.uid,
          r.name ?? r.entrypoint ?? "",
          statusName(r._status_code),
          iso(r.started_at),
          iso(r.finished_at)
        ])
      }
      case "transform": {
        const rows = yield* build(Transform.filter(), request).toArray()
        return show(out, rows, (t) => ({ ...t, source_code: undefined, version: t.version_tag ?? t.uid.slice(-4) }), ["uid", "key", "kind", "version", "created_at"], (t) => [
          t.uid,
          t.key ?? "",
          t.kind,
          (t.version_tag ?? t.uid.slice(-4)) + (t.is_latest ? "*" : ""),
          iso(t.created_at)
        ])
      }
      case "user": {
        const rows = yield* build(User.filter(), request).toArray()
        return show(out, rows, (u) => u, ["uid", "handle", "name"], (u) => [u.uid, u.handle, u.name ?? ""])
      }
      case "storage": {
        const rows = yield* build(Storage.filter(), request).toArray()
        return show(out, rows, (s) => s, ["uid", "root", "type", "region"], (s) => [s.uid, s.root, s.type, s.region ?? ""])
      }
      case "feature": {
        const rows = yield* build(Feature.filter(), request).toArray()
        return show(out, rows, recordJson, ["uid", "name", "dtype", "unit", "coerce"], (f) => [f.uid, f.name, f.dtype ?? "(type)", f.unit ?? "", f.coerce ? "yes" : ""])
      }
      case "ulabel": {
        const rows = yield* build(ULabel.filter(), request).toArray()
        const types = yield* typeNames(rows, (ids) => ULabel.filter({ id__in: ids }).toArray())
        return show(out, rows, (l) => ({ ...recordJson(l), type: types.get(l.type_id ?? -1) ?? null }), ["uid", "name", "type", "is_type"], (l) => [l.uid, l.name, types.get(l.type_id ?? -1) ?? "", l.is_type ? "yes" : ""])
      }
      case "record": {
        const rows = yield* build(RecordRegistry.filter(), request).toArray()
        const types = yield* typeNames(rows, (ids) => RecordRegistry.filter({ id__in: ids }).toArray())
        return show(out, rows, (r) => ({ ...recordJson(r), type: types.get(r.type_id ?? -1) ?? null }), ["uid", "name", "type", "is_type"], (r) => [r.uid, r.name ?? "", types.get(r.type_id ?? -1) ?? "", r.is_type ? "yes" : ""])
      }
      case "project": {
        const rows = yield* build(Project.filter(), request).toArray()
        return show(out, rows, recordJson, ["uid", "name", "abbr", "start_date"], (p) => [p.uid, p.name, p.abbr ?? "", p.start_date ?? ""])
      }
      case "schema": {
        const rows = yield* build(Schema.filter(), request).toArray()
        return show(out, rows, recordJson, ["uid", "name", "itype", "otype", "n_members", "flags"], (s) => [
          s.uid,
          s.name ?? "",
          s.itype ?? "",
          s.otype ?? "",
          s.n_members === null ? "" : String(s.n_members),
          [s.maximal_set ? "maximal" : "", s.ordered_set ? "ordered" : "", s.flexible ? "flexible" : "", s.coerce ? "coerce" : ""].filter((x) => x !== "").join(",")
        ])
      }
      case "collection": {
        const rows = yield* build(Collection.filter(), request).toArray()
        return show(out, rows, (c) => c.toJSON(), ["uid", "key", "version", "created_at"], (c) => [c.uid, c.key ?? "", c.version + (c.is_latest ? "*" : ""), iso(c.created_at)])
      }
      case "reference": {
        const rows = yield* build(Reference.filter(), request).toArray()
        return show(out, rows, recordJson, ["uid", "name", "doi", "url"], (r) => [r.uid, r.name, r.doi ?? "", r.url ?? ""])
      }
    }
  })

/** The filter syntax, for `lamina ls --help` and `lamina search --help`. */
export const FILTER_HELP = [
  "Filters (--filter KEY=VALUE, repeatable; all must hold):",
  "  KEY is a field, or a path with a lookup after '__': key__startswith=raw/, size__gt=1000000,",
  "  run__transform__key=train.py, params__learning_rate=0.01, created_by__handle=alice, version=0001.",
  `  Lookups: ${LOOKUPS.join(", ")}.`,
  "  VALUE is JSON when it parses as JSON, else a string. '__in' takes a JSON list and '__range' a",
  "  pair: --filter 'suffix__in=[\".csv\",\".parquet\"]'  --filter 'size__range=[1000,5000]'.",
  "  Artifacts of internal kinds (__lamina_run__ run environments) are listed only with --all or a kind filter."
].join("\n")
