/**
 * A small synthetic single-cell dataset (PBMC-like): counts of `n_genes` genes in `n_cells`
 * cells of five cell types, each with its own marker genes, from two batches, with a few
 * doublets and a few low-quality cells. Seeded, so the same arguments give the same data.
 *
 * @module
 */
import { Bool, Dictionary, Float32, Float64, Int32, Int8, Utf8, vectorFromArray } from "apache-arrow"
import type { Effect } from "effect"
import type { ValidationError } from "../../../src/errors.js"
import { type AnnData, makeAnnData } from "../../../src/formats/anndata/anndata.js"
import { dataframeTable } from "../../../src/formats/anndata/dataframe-table.js"
import { SparseMatrix } from "../../../src/formats/anndata/sparse-matrix.js"
import { seeded } from "../_lib/random.js"

/** Cell types and the genes that mark them. */
export const CELL_TYPES: ReadonlyArray<{ readonly name: string; readonly markers: ReadonlyArray<string>; readonly share: number }> = [
  { name: "B", markers: ["MS4A1", "CD79A", "CD19"], share: 0.15 },
  { name: "CD4 T", markers: ["CD3E", "IL7R", "CD4"], share: 0.35 },
  { name: "CD8 T", markers: ["CD3E", "CD8A", "CD8B"], share: 0.15 },
  { name: "NK", markers: ["NKG7", "GNLY", "KLRD1"], share: 0.1 },
  { name: "Monocyte", markers: ["LYZ", "CD14", "S100A8"], share: 0.25 }
]

const MARKERS = [...new Set(CELL_TYPES.flatMap((t) => t.markers))]

/** Poisson sample (Knuth; the means here are small). */
const poisson = (rand: () => number, mean: number): number => {
  const limit = Math.exp(-mean)
  let k = 0
  let p = rand()
  while (p > limit) {
    k++
    p *= rand()
  }
  return k
}

const pick = (rand: () => number): number => {
  let u = rand()
  for (let t = 0; t < CELL_TYPES.length; t++) {
    u -= CELL_TYPES[t]!.share
    if (u < 0) return t
  }
  return CELL_TYPES.length - 1
}

/**
 * The dataset: CSR float32 counts in X; obs `cell_type` and `batch` (categoricals),
 * `n_counts`, `n_genes`, `is_doublet`; var `highly_variable`, `mean_counts`, indexed by gene.
 */
export const simulatePbmc = (seed: number, nCells: number, nGenes: number): Effect.Effect<AnnData, ValidationError> => {
  const rand = seeded(seed)
  const genes = [...MARKERS, ...Array.from({ length: Math.max(0, nGenes - MARKERS.length) }, (_, i) => `GENE${String(i + 1).padStart(3, "0")}`)].slice(0, nGenes)
  const baseMean = genes.map(() => 0.3 + rand() * 1.7)
  const data: Array<number> = []
  const indices: Array<number> = []
  const indptr = [0]
  const types = new Int8Array(nCells)
  const batches = new Int8Array(nCells)
  const nCounts: Array<number> = []
  const nExpressed: Array<number> = []
  const doublet: Array<boolean> = []
  for (let c = 0; c < nCells; c++) {
    const t = pick(rand)
    types[c] = t
    batches[c] = rand() < 0.5 ? 0 : 1
    const isDoublet = rand() < 0.05
    doublet.push(isDoublet)
    // a few damaged cells with very few counts; doublets have about twice the usual
    const depth = (rand() < 0.08 ? 0.1 : 0.6 + rand() * 0.8) * (isDoublet ? 2 : 1) * (batches[c] === 1 ? 1.2 : 1)
    const markers = new Set(CELL_TYPES[t]!.markers)
    let total = 0
    for (let g = 0; g < genes.length; g++) {
      const mean = baseMean[g]! * depth * (markers.has(genes[g]!) ? 12 : 1)
      const k = poisson(rand, mean)
      if (k > 0) {
        data.push(k)
        indices.push(g)
        total += k
      }
    }
    indptr.push(data.length)
    nCounts.push(total)
    nExpressed.push(indptr[c + 1]! - indptr[c]!)
  }
  const X = new SparseMatrix("csr", [nCells, genes.length], Float32Array.from(data), Int32Array.from(indices), Int32Array.from(indptr))
  const geneTotals = genes.map(() => 0)
  for (let k = 0; k < data.length; k++) geneTotals[indices[k]!]! += data[k]!
  const obs = dataframeTable(
    Array.from({ length: nCells }, (_, c) => `cell${String(c).padStart(4, "0")}`),
    [
      // categoricals are Arrow dictionary columns
      { name: "cell_type", vector: vectorFromArray([...types].map((t) => CELL_TYPES[t]!.name), new Dictionary(new Utf8(), new Int8())) },
      { name: "batch", vector: vectorFromArray([...batches].map((b) => `b${b + 1}`), new Dictionary(new Utf8(), new Int8())) },
      { name: "n_counts", vector: vectorFromArray(nCounts, new Float64()) },
      { name: "n_genes", vector: vectorFromArray(nExpressed, new Int32()) },
      { name: "is_doublet", vector: vectorFromArray(doublet, new Bool()) }
    ],
    "cell_id"
  )
  const var_ = dataframeTable(
    genes,
    [
      { name: "highly_variable", vector: vectorFromArray(genes.map((g) => MARKERS.includes(g)), new Bool()) },
      { name: "mean_counts", vector: vectorFromArray(geneTotals.map((s) => s / nCells), new Float32()) }
    ],
    "gene_symbol"
  )
  return makeAnnData({ X, obs, var: var_, uns: { source: "synthetic PBMC-like counts", seed } })
}
