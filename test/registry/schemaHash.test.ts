/**
 * The schema hash against LaminDB's algorithm (`Schema._validate_kwargs_calculate_hash` in
 * laminlabs/lamindb, lamindb/models/schema.py). Two kinds of vectors:
 * - LaminDB's own `KNOWN_SCHEMAS` (hashes LaminDB ships for its built-in schemas);
 * - vectors computed by hand from that algorithm (md5 → urlsafe base64, 22 chars, of the sorted
 *   `code=value` parts joined by ":"), for optional members, the index, coerce, flexible and
 *   composite slots — the parts Lamina had computed differently before.
 * And on both backends: `Schema.create` stores those hashes.
 */
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { Feature, Schema } from "../../src/index.js"
import { schemaHash, type SchemaHashInput } from "../../src/registry/schema/hash.js"
import { hashString } from "../../src/storage/hash.js"
import { describeBackends } from "../support/backends.js"

const A = "aaaaaaaaaaa1"
const B = "bbbbbbbbbbb2"
const C = "ccccccccccc3"
const I = "iiiiiiiiiii4"

const base: SchemaHashInput = {
  dtype: null,
  itype: "Feature",
  minimal_set: true,
  ordered_set: false,
  maximal_set: false,
  flexible: false,
  coerce: false,
  memberUids: [],
  optionalUids: [],
  indexUid: null,
  slots: {}
}

describe("schema hash: LaminDB's KNOWN_SCHEMAS", () => {
  const validFeatures = schemaHash({ ...base, flexible: true })
  const validGenes = schemaHash({ ...base, itype: "bionty.Gene.ensembl_gene_id", flexible: true })

  it("valid_features: itype Feature, no members (flexible by default, so no f part)", () => {
    expect(validFeatures).toBe("kMi7B_N88uu-YnbTLDU-DA")
    // By hand: the parts LaminDB hashes.
    expect(validFeatures).toBe(hashString("b=Feature:c=True:d=False:e=False"))
  })

  it("valid_ensembl_gene_ids: a registry itype gets dtype 'num' by default", () => {
    expect(validGenes).toBe("1gocc_TJ1RU2bMwDRK-WUA")
    expect(validGenes).toBe(hashString("a=num:b=bionty.Gene.ensembl_gene_id:c=True:d=False:e=False"))
  })

  it("the composite anndata_ensembl_gene_ids_and_valid_features_in_obs (with and without itype 'Composite')", () => {
    const slots = { obs: validFeatures, "var.T": validGenes }
    expect(schemaHash({ ...base, itype: null, flexible: true, slots })).toBe("aqGWHvyY49W_PHELUMiBMw")
    expect(schemaHash({ ...base, itype: "Composite", flexible: true, slots })).toBe("UR_ozz2VI2sY8ckXop2RAg")
  })
})

describe("schema hash: vectors computed by hand from LaminDB's algorithm", () => {
  it("members are a sorted uid list unless ordered; n counts them", () => {
    const h = schemaHash({ ...base, memberUids: [B, A] })
    expect(h).toBe("XlnAgpN-fC2fKYSx0kgxpQ")
    expect(h).toBe(hashString(["b=Feature", "c=True", "d=False", "e=False", "h=2", `j=${hashString(`${A}:${B}`)}`].join(":")))
  })

  it("an optional member is listed as uid(i) in the feature list, no separate part", () => {
    const h = schemaHash({ ...base, memberUids: [B, A], optionalUids: [B] })
    expect(h).toBe("yByWSh1tx0v9vkKeDHunFg")
    expect(h).toBe(hashString(["b=Feature", "c=True", "d=False", "e=False", "h=2", `j=${hashString(`${A}:${B}(i)`)}`].join(":")))
    expect(schemaHash({ ...base, memberUids: [B, A], optionalUids: [B], ordered_set: true })).toBe("BKj5UQve0zXOgLMXANB7JA")
  })

  it("the index feature leads the feature list, counts in n and adds k", () => {
    const h = schemaHash({ ...base, memberUids: [A], indexUid: I })
    expect(h).toBe("gnWI2E91wbycMA0JuHuOWw")
    expect(h).toBe(hashString(["b=Feature", "c=True", "d=False", "e=False", "h=2", `j=${hashString(`${A}:${I}`)}`, `k=${I}`].join(":")))
    // An index alone makes the schema non-flexible by default (it lists a feature).
    expect(schemaHash({ ...base, indexUid: I })).toBe("-bF8BARpn3TKd2y_pS-cmw")
  })

  it("coerce enters only when true; flexible only when not its default", () => {
    expect(schemaHash({ ...base, memberUids: [A, C], coerce: true, maximal_set: true })).toBe("62pLcBDih8u7HX4oKKZhjQ")
    expect(schemaHash({ ...base, memberUids: [A], flexible: true })).toBe("fR63ZSek7srHDBKxNSKA9A")
    expect(schemaHash({ ...base, memberUids: [A], flexible: true })).toBe(
      hashString(["b=Feature", "c=True", "d=False", "e=False", "f=True", "h=1", `j=${hashString(A)}`].join(":"))
    )
  })

  it("composite slots: sorted slot=hash strings (as whole strings), dtype 'num', flexible by default", () => {
    const obs = schemaHash({ ...base, memberUids: [A, B], optionalUids: [B] })
    const v = schemaHash({ ...base, itype: "ULabel.name", flexible: true })
    expect(v).toBe("TO6eE68KpGJfDVHMjaQ5pg")
    const composite = { ...base, itype: null, flexible: true }
    expect(schemaHash({ ...composite, slots: { var: v, obs } })).toBe("1tnROzjmDwXkrNHv6eU1yA")
    // "var.T=…" sorts before "var=…" as a string ('.' < '='), not after as a slot name would.
    expect(schemaHash({ ...composite, slots: { var: v, "var.T": obs } })).toBe("AxGRG12F_z0VNhICazF1zQ")
    expect(schemaHash({ ...composite, flexible: false, slots: { obs } })).toBe("xz0SrkN0mk0Q3M7_CBamdQ")
  })
})

describeBackends("schema hash: Schema.create stores LaminDB's hash", ({ instance }) => {
  it("valid_features has LaminDB's known hash; an optional member and an index change it as LaminDB's do", async () => {
    const i = await instance()
    const out = await i.run(
      Effect.gen(function* () {
        const validFeatures = yield* Schema.resolve("valid_features")
        const a = yield* Feature.create({ name: "a", dtype: "str" })
        const b = yield* Feature.create({ name: "b", dtype: "int" })
        const idx = yield* Feature.create({ name: "sample", dtype: "str" })
        const optional = yield* Schema.create({ features: ["a", { feature: "b", optional: true }] })
        const indexed = yield* Schema.create({ features: ["a"], index: "sample" })
        const composite = yield* Schema.create({ otype: "AnnData", components: { obs: optional, var: validFeatures } })
        return { validFeatures, a, b, idx, optional, indexed, composite }
      })
    )
    expect(out.validFeatures.hash).toBe("kMi7B_N88uu-YnbTLDU-DA")
    const { a, b, idx } = out
    expect(out.optional.hash).toBe(hashString(["b=Feature", "c=True", "d=False", "e=False", "h=2", `j=${hashString([a.uid, `${b.uid}(i)`].sort().join(":"))}`].join(":")))
    expect(out.indexed.hash).toBe(
      hashString(["b=Feature", "c=True", "d=False", "e=False", "h=2", `j=${hashString([a.uid, idx.uid].sort().join(":"))}`, `k=${idx.uid}`].join(":"))
    )
    expect(out.indexed.flexible).toBe(false)
    expect(out.composite.flexible).toBe(true)
    expect(out.composite.hash).toBe(
      hashString(["a=num", "c=True", "d=False", "e=False", `l=${hashString([`obs=${out.optional.hash}`, `var=kMi7B_N88uu-YnbTLDU-DA`].sort().join(":"))}`].join(":"))
    )
    await i.close()
  })
})
