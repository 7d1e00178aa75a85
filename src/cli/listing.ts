/**
 * Listing records of any registry on the command line (`lamina ls`, `lamina search`): which
 * registries, how a record prints as JSON (LaminDB's snake_case field names) and as a table row.
 *
 * @module
 */
import { Effect } from "effect"
import { InvalidArgument } from "../errors.js"
import { Instance } from "../instance/Instance.js"
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
import { Project } from "../registry/Project.js"
import { Record as RecordRegistry } from "../registry/Record.js"
import { Reference } from "../registry/Reference.js"
import { ULabel } from "../registry/ULabel.js"
import { recordJson } from "./create.js"
import type { Output } from "./command.js"
import { formatSize, table } from "./present.js"

/** Registries the CLI lists. */
export const REGISTRIES = ["artifact", "run", "transform", "user", "storage", "feature", "ulabel", "record", "project", "reference", "collection"] as const

/** A registry name on the command line. */
export type RegistryName = (typeof REGISTRIES)[number]

/** What to list: conditions, ordering, a limit, or a search. */
export interface ListRequest {
  readonly filter: Readonly<Record<string, unknown>>
  readonly order: ReadonlyArray<string>
  readonly limit: number
  readonly search?: string
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

const iso = (d: Date | null): string => (d === null ? "" : d.toISOString().replace("T", " ").slice(0, 19))

const build = <A, M extends Model>(all: QuerySet<A, M>, request: ListRequest): QuerySet<A, M> => {
  // CLI filters are untyped: keys are checked when the query compiles.
  const filtered = all.filter(request.filter as unknown as Condition<M>)
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
        return show(out, rows, (a) => a.toJSON(settings.storage), ["uid", "key", "version", "size", "created_at"], (a) => [
          a.uid,
          a.key ?? a.description ?? "",
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
