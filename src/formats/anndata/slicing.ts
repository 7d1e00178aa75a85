/**
 * Reading parts of a stored matrix (dense, CSR or CSC) through an {@link ElementSource}: only
 * the rows and columns asked for are read (for sparse matrices: the `indptr` entries and the
 * `data`/`indices` ranges of the selected rows of CSR, or columns of CSC).
 *
 * @module
 */
import { Effect } from "effect"
import { InvalidArgument } from "../../errors.js"
import { allocate, DenseArray, type DType, type IntegerData, type NumericData } from "./dense-array.js"
import { type ElementSource, joinPath, type Region, type StoreError } from "./element-store.js"
import { type Matrix } from "./anndata.js"
import { SparseMatrix } from "./sparse-matrix.js"

/** A half-open range `[start, stop)` of rows or columns. */
export interface Range {
  readonly start: number
  readonly stop: number
}

/** Selects rows or columns: a range, a list of positions (any order, repeats allowed), or all. */
export type Indexer = Range | ReadonlyArray<number> | Int32Array | undefined

/** `[start, stop)`. */
export const range = (start: number, stop: number): Range => ({ start, stop })

/** A normalized selection along one axis. */
interface Selection {
  /** Number of selected positions. */
  readonly length: number
  /** Selected positions, in output order. */
  readonly positions: Int32Array
  /** Maximal runs of consecutive positions covering the selection, ascending. */
  readonly runs: ReadonlyArray<readonly [number, number]>
  /** Whether the selection is one ascending run (output order = run order). */
  readonly contiguous: boolean
}

const isRange = (x: Indexer): x is Range => x !== undefined && !Array.isArray(x) && !(x instanceof Int32Array)

/** Validates an indexer against an axis of length `n`. */
export const normalizeIndexer = (
  indexer: Indexer,
  n: number,
  axis: "rows" | "columns",
  element: string
): Effect.Effect<Selection, InvalidArgument> => {
  const bad = (message: string) =>
    Effect.fail(new InvalidArgument({ message: `${element}: ${axis} ${message} (the ${axis} are 0…${n - 1})` }))
  if (indexer === undefined) {
    return Effect.succeed({ length: n, positions: Int32Array.from({ length: n }, (_, i) => i), runs: n > 0 ? [[0, n]] : [], contiguous: true })
  }
  if (isRange(indexer)) {
    const { start, stop } = indexer
    if (!Number.isInteger(start) || !Number.isInteger(stop)) return bad(`range [${start}, ${stop}) must have integer bounds`)
    if (start < 0 || stop > n || start > stop) return bad(`range [${start}, ${stop}) is out of range`)
    return Effect.succeed({
      length: stop - start,
      positions: Int32Array.from({ length: stop - start }, (_, i) => start + i),
      runs: stop > start ? [[start, stop]] : [],
      contiguous: true
    })
  }
  const positions = Int32Array.from(indexer as ArrayLike<number>)
  for (let i = 0; i < positions.length; i++) {
    const p = (indexer as ArrayLike<number>)[i]
    if (!Number.isInteger(p) || p < 0 || p >= n) return bad(`index ${p} is out of range`)
  }
  const sorted = [...new Set(positions)].sort((a, b) => a - b)
  const runs: Array<[number, number]> = []
  for (const p of sorted) {
    const last = runs[runs.length - 1]
    if (last !== undefined && last[1] === p) last[1] = p + 1
    else runs.push([p, p + 1])
  }
  const contiguous = runs.length <= 1 && sorted.length === positions.length &&
    positions.every((p, i) => i === 0 || p === positions[i - 1] + 1)
  return Effect.succeed({ length: positions.length, positions, runs, contiguous })
}

/** Reads selected rows × columns of a dense 2-D array. */
const sliceDense = (
  src: ElementSource,
  path: string,
  dtype: DType,
  rows: Selection,
  cols: Selection
): Effect.Effect<DenseArray, StoreError> =>
  Effect.gen(function*() {
    const nr = rows.length, nc = cols.length
    if (nr === 0 || nc === 0) {
      return new DenseArray(dtype, dtype === "string" ? [] : allocate(dtype, 0), [nr, nc])
    }
    const c0 = cols.runs[0][0], c1 = cols.runs[cols.runs.length - 1][1]
    const width = c1 - c0
    if (rows.contiguous && cols.contiguous) {
      return yield* src.read(path, [[rows.runs[0][0], rows.runs[0][1]], [c0, c1]])
    }
    // read each run of rows over the column span, then gather
    const rowAt = new Map<number, { block: DenseArray; offset: number }>()
    for (const [r0, r1] of rows.runs) {
      const block = yield* src.read(path, [[r0, r1], [c0, c1]] as Region)
      for (let r = r0; r < r1; r++) rowAt.set(r, { block, offset: (r - r0) * width })
    }
    const gather = (write: (k: number, block: DenseArray, at: number) => void) => {
      let k = 0
      for (let i = 0; i < nr; i++) {
        const { block, offset } = rowAt.get(rows.positions[i])!
        for (let j = 0; j < nc; j++) write(k++, block, offset + cols.positions[j] - c0)
      }
    }
    if (dtype === "string") {
      const out = new Array<string>(nr * nc)
      gather((k, block, at) => (out[k] = block.strings[at]))
      return new DenseArray("string", out, [nr, nc])
    }
    const out = allocate(dtype, nr * nc)
    const o = out as unknown as { [i: number]: number | bigint }
    gather((k, block, at) => (o[k] = (block.data as NumericData)[at]))
    return new DenseArray(dtype, out, [nr, nc])
  })

const numbersOf = (a: DenseArray): IntegerData => a.numeric as IntegerData

/**
 * Reads selected major positions (rows of CSR, columns of CSC) with a filter on the minor axis.
 */
const sliceSparse = (
  src: ElementSource,
  path: string,
  format: "csr" | "csc",
  dtype: DType,
  major: Selection,
  minor: Selection,
  minorLength: number
): Effect.Effect<SparseMatrix, StoreError> =>
  Effect.gen(function*() {
    const minorAll = minor.contiguous && minor.length === minorLength
    const shape: [number, number] = format === "csr" ? [major.length, minor.length] : [minor.length, major.length]
    if (minorAll && major.contiguous) {
      // fast path: one run of whole rows (CSR) / columns (CSC): no per-value work
      const [a, b] = major.runs[0] ?? [0, 0]
      const indptr = numbersOf(yield* src.read(joinPath(path, "indptr"), [[a, b + 1]]))
      const p0 = Number(indptr[0]), p1 = Number(indptr[b - a])
      const data = (yield* src.read(joinPath(path, "data"), [[p0, p1]])).numeric
      const indices = numbersOf(yield* src.read(joinPath(path, "indices"), [[p0, p1]]))
      const rebased = p1 - p0 > 2147483647 ? new BigInt64Array(b - a + 1) : new Int32Array(b - a + 1)
      const w = rebased as unknown as { [i: number]: number | bigint }
      for (let i = 0; i <= b - a; i++) w[i] = rebased instanceof BigInt64Array ? BigInt(Number(indptr[i]) - p0) : Number(indptr[i]) - p0
      return new SparseMatrix(format, shape, data, indices, rebased, dtype as Exclude<DType, "string">)
    }
    // minor position → output positions (repeats allowed)
    let minorMap: Int32Array | undefined
    let minorMulti: Map<number, number[]> | undefined
    if (!minorAll) {
      minorMap = new Int32Array(minorLength).fill(-1)
      for (let j = 0; j < minor.length; j++) {
        const p = minor.positions[j]
        if (minorMap[p] === -1) minorMap[p] = j
        else {
          minorMulti ??= new Map()
          const list = minorMulti.get(p) ?? [minorMap[p]]
          list.push(j)
          minorMulti.set(p, list)
        }
      }
    }
    // read each run of the major axis
    const spans = new Map<number, { data: NumericData; indices: IntegerData; lo: number; hi: number }>()
    for (const [a, b] of major.runs) {
      const indptr = numbersOf(yield* src.read(joinPath(path, "indptr"), [[a, b + 1]]))
      const p0 = Number(indptr[0]), p1 = Number(indptr[b - a])
      const data = (yield* src.read(joinPath(path, "data"), [[p0, p1]])).numeric
      const indices = numbersOf(yield* src.read(joinPath(path, "indices"), [[p0, p1]]))
      for (let m = a; m < b; m++) {
        spans.set(m, { data, indices, lo: Number(indptr[m - a]) - p0, hi: Number(indptr[m - a + 1]) - p0 })
      }
    }
    // assemble
    const outIndptr = new Int32Array(major.length + 1)
    const outIndices: number[] = []
    const outValues: Array<number | bigint> = []
    for (let i = 0; i < major.length; i++) {
      const span = spans.get(major.positions[i])!
      const entries: Array<[number, number | bigint]> = []
      for (let k = span.lo; k < span.hi; k++) {
        const j = Number(span.indices[k])
        const v = span.data[k]
        if (minorAll) entries.push([j, v])
        else {
          const multi = minorMulti?.get(j)
          if (multi !== undefined) for (const o of multi) entries.push([o, v])
          else if (minorMap![j] >= 0) entries.push([minorMap![j], v])
        }
      }
      if (!minorAll) entries.sort((x, y) => x[0] - y[0])
      for (const [j, v] of entries) {
        outIndices.push(j)
        outValues.push(v)
      }
      outIndptr[i + 1] = outIndices.length
    }
    const values = allocate(dtype as Exclude<DType, "string">, outValues.length)
    const w = values as unknown as { [i: number]: number | bigint }
    for (let k = 0; k < outValues.length; k++) w[k] = outValues[k]
    return new SparseMatrix(format, shape, values, Int32Array.from(outIndices), outIndptr, dtype as Exclude<DType, "string">)
  })

/** How a stored matrix is laid out. */
export interface MatrixLayout {
  readonly format: "dense" | "csr" | "csc"
  readonly shape: readonly [number, number]
  readonly dtype: DType
}

/**
 * Reads `rows × cols` of the matrix at `path`. Dense results are {@link DenseArray}s; sparse
 * results keep their format. Fails with {@link InvalidArgument} for out-of-range selections.
 */
export const sliceMatrix = (
  src: ElementSource,
  path: string,
  layout: MatrixLayout,
  rows: Indexer,
  cols: Indexer
): Effect.Effect<Matrix, InvalidArgument | StoreError> =>
  Effect.gen(function*() {
    const element = `${src.name}: ${path}`
    const r = yield* normalizeIndexer(rows, layout.shape[0], "rows", element)
    const c = yield* normalizeIndexer(cols, layout.shape[1], "columns", element)
    if (layout.format === "dense") return yield* sliceDense(src, path, layout.dtype, r, c)
    return layout.format === "csr"
      ? yield* sliceSparse(src, path, "csr", layout.dtype, r, c, layout.shape[1])
      : yield* sliceSparse(src, path, "csc", layout.dtype, c, r, layout.shape[0])
  })
