/**
 * Compile-time checks of filter keys, checked by `tsc -p tsconfig.test.json` (never run).
 * Each `@ts-expect-error` line must fail to compile; every other line must compile.
 */
import { Effect } from "effect"
import { Agg } from "../../src/query/aggregate.js"
import { Q } from "../../src/query/Q.js"
import { Artifact } from "../../src/registry/Artifact.js"
import { Record } from "../../src/registry/Record.js"
import { Run } from "../../src/registry/Run.js"
import { Storage } from "../../src/registry/Storage.js"
import { Transform } from "../../src/registry/Transform.js"
import { User } from "../../src/registry/User.js"

export const checks = () => {
  // fields and lookups
  Artifact.filter({ key: "a", size__gt: 5, key__istartswith: "raw/", suffix__in: [".csv"], size__range: [1, 2] })
  Artifact.filter({ key: null, n_observations__isnull: true, is_latest: true, description__iregex: "^a" })
  Artifact.filter({ created_at__gte: new Date(), created_at__year: 2025, created_at__month__in: [1, 2], created_at__date: "2025-01-01" })
  // Artifact, Run and Record carry features: a key that is not a field is a feature key (a
  // string the compiler lets through; checked at run time). Fields keep their value types.
  Artifact.filter({ temperature__gt: 20, experiment: "My experiment", cell_type__in: ["B", "T"] })
  Run.filter({ temperature__lte: 3 })
  Record.filter({ gc_content__gt: 0.5 })
  Artifact.filter(Q.or({ temperature__gt: 1 }, { experiment: "x" }))
  // registries without features keep misspellings a compile error
  // @ts-expect-error misspelled field
  Transform.filter({ kee__startswith: "x" })
  // @ts-expect-error misspelled field without lookup
  Transform.filter({ kee: "a" })
  // @ts-expect-error lookup not valid for a bool field
  Transform.filter({ is_latest__startswith: "1" })
  // @ts-expect-error unknown lookup
  Transform.filter({ key__like: "a" })
  // @ts-expect-error wrong value type
  Artifact.filter({ size__gt: "5" })
  // @ts-expect-error __in takes an array
  Artifact.filter({ size__in: 5 })
  // @ts-expect-error __isnull takes a boolean
  Artifact.filter({ size__isnull: 1 })
  // @ts-expect-error transforms only on timestamps
  Storage.filter({ id__year: 2025 })

  // relations, links, aliases, subqueries (paths typed loosely)
  Artifact.filter({ run__transform__key: "train", created_by__handle: "me", transform__key: "t", input_of_runs__uid: "x" })
  Artifact.filter({ run: 1, storage: { id: 2 }, run__in: Run.filter({ params__lr: 0.1 }), created_by: null })
  Run.filter({ input_artifacts: 3, initiated_by_run__name: "a", output_artifacts__key: "k", status: "completed" })
  // @ts-expect-error unknown relation root
  Transform.filter({ runz__params__x: "x" })
  // @ts-expect-error invalid status name
  Run.filter({ status: "done" })
  Transform.filter({ runs__params__epochs__gt: 3 })
  User.filter({ created_artifacts__key: "a", handle__startswith: "a" })
  Storage.filter({ artifacts__size__gt: 1, root__contains: "/" })

  // params
  Run.filter({ params__learning_rate: 0.01, params__preprocess__downsample: true, params__epochs__gt: 50 })
  // @ts-expect-error JSON paths need the field name first
  Transform.filter({ paramz__lr: 1 })

  // Q, nested, mixed with keyword objects
  Artifact.filter(Q.or({ key__startswith: "a" }, Q.not({ size__gt: 5 })), { suffix: ".csv" })
  Artifact.exclude(Q.and({ size__lt: 3 }, Q.or({ kind: "dataset" }, { kind__isnull: true })))
  // @ts-expect-error misspelled key inside a Q
  Transform.filter(Q.or({ key__startswith: "a" }, Q.not({ kee__gt: 5 })))
  // @ts-expect-error wrong value type inside a Q
  Artifact.filter(Q.or({ size__gt: "a" }))

  // ordering, values, aggregates
  Artifact.filter().orderBy("-created_at", "size", "run__transform__key")
  Run.filter().orderBy("-params__epochs")
  // @ts-expect-error misspelled ordering field
  Artifact.filter().orderBy("-sise")
  const values = Artifact.filter().values("key", "size", "run__transform__key")
  values.toArray().pipe((e) => e)
  // @ts-expect-error misspelled values field
  Artifact.filter().values("kye")
  Artifact.filter().aggregate({ n: Agg.count(), total: Agg.sum("size") })
  Artifact.filter().groupBy("suffix").aggregate({ n: Agg.count() })
  // @ts-expect-error misspelled aggregate field
  Artifact.filter().aggregate({ total: Agg.sum("sise") })
}

/** Decoded types follow the fields. */
export const decoded = () =>
  Effect.map(Artifact.filter().values("key", "size").first(), (row) => {
    const key: string | null | undefined = row?.key
    const size: number | null | undefined = row?.size
    // @ts-expect-error size is a number
    const wrong: string | null | undefined = row?.size
    return [key, size, wrong]
  })
