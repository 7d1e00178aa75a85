/**
 * Test-only registries, declared exactly as Lamina's own are (`src/registry/declarations/`),
 * and a catalog holding them beside the real ones. Their tables come from DDL derived from the
 * declarations — no migration, nothing registered globally.
 */
import { sql } from "../../src/db/sql.js"
import { declarations } from "../../src/registry/catalog.js"
import { buildCatalog, defineRegistry, f, fk, m2m, recordFields, type KeyResolver } from "../../src/schema/index.js"
import { rewrite } from "../../src/schema/resolver.js"
import { Effect } from "effect"

/** A key that is not a field: `shade` is answered by a declared resolver (as #12's features will be). */
const shade: KeyResolver = {
  name: "shade",
  resolve: ({ root, parts, value }) =>
    Effect.succeed(root === "shade" ? rewrite({ [["meta", "color", ...parts.slice(1)].join("__")]: value }) : undefined)
}

/** A sample: a record with a typed self-relation, a foreign key to Artifact, labels and JSON. */
export const SampleDecl = defineRegistry({
  name: "Sample",
  table: "test_sample",
  uidLength: 12,
  versioned: false,
  fields: {
    ...recordFields,
    name: f.str,
    score: f.nullable(f.float),
    is_control: f.withDefault(f.bool, false),
    meta: f.nullable(f.json),
    artifact_id: f.nullable(f.int),
    parent_id: f.nullable(f.int),
    _secret: f.nullable(f.str)
  },
  relations: {
    artifact: fk("Artifact", "artifact_id", "samples"),
    parent: fk("Sample", "parent_id", "children"),
    created_by: fk("User", "created_by_id")
  },
  links: { tags: m2m("Tag", { table: "test_sample_tag", selfColumn: "sample_id", otherColumn: "tag_id" }, "samples") },
  aliases: { run: "artifact__run" },
  enums: { grade: { field: "score", values: { low: 1, high: 9 } } },
  computed: { label: { type: "str", expr: (column) => sql`${column("name")} || ':' || ${column("uid")}` } },
  searchFields: ["name"],
  resolvers: [shade]
})

/** A label. */
export const TagDecl = defineRegistry({
  name: "Tag",
  table: "test_tag",
  uidLength: 8,
  versioned: false,
  fields: { id: f.id, uid: f.uid, name: f.unique(f.str), created_at: f.datetime },
  searchFields: ["name"]
})

/** Lamina's registries plus the test-only ones. */
export const testCatalog = buildCatalog({ ...declarations, Sample: SampleDecl, Tag: TagDecl })
