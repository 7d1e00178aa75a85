/**
 * Compressed sparse matrices (scipy's `csr_matrix` / `csc_matrix` layout).
 *
 * @module
 */
import { allocate, DenseArray, type IntegerData, type NumericData, type NumericDType } from "./dense-array.js"

/** `"csr"`: rows are compressed (indptr over rows); `"csc"`: columns are. */
export type SparseFormat = "csr" | "csc"

/** A CSR or CSC matrix. */
export class SparseMatrix {
  /**
   * @param format - `"csr"` or `"csc"`
   * @param shape - `[rows, columns]`
   * @param data - stored values (`Uint8Array` of 0/1 for dtype `"bool"`)
   * @param indices - column (CSR) or row (CSC) of each stored value
   * @param indptr - `indptr[i]..indptr[i+1]` are the values of row (CSR) or column (CSC) `i`
   * @param dtype - element type of `data` (defaults from the typed array)
   */
  constructor(
    readonly format: SparseFormat,
    readonly shape: readonly [number, number],
    readonly data: NumericData,
    readonly indices: IntegerData,
    readonly indptr: IntegerData,
    readonly dtype: NumericDType | "bool" = DenseArray.of(data).dtype as NumericDType
  ) {}

  /** Number of stored values. */
  get nnz(): number {
    return this.data.length
  }

  /** The length of the compressed axis (rows for CSR, columns for CSC). */
  get majorLength(): number {
    return this.format === "csr" ? this.shape[0] : this.shape[1]
  }

  /** A dense copy (C order). */
  toDense(): DenseArray {
    const [n, m] = this.shape
    const out = allocate(this.dtype === "bool" ? "bool" : this.dtype, n * m)
    const major = this.majorLength
    const write = out as unknown as { [i: number]: number | bigint }
    for (let i = 0; i < major; i++) {
      const lo = Number(this.indptr[i]), hi = Number(this.indptr[i + 1])
      for (let k = lo; k < hi; k++) {
        const j = Number(this.indices[k])
        const flat = this.format === "csr" ? i * m + j : j * m + i
        write[flat] = this.data[k]
      }
    }
    return new DenseArray(this.dtype, out, [n, m])
  }
}
