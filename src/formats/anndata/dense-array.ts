/**
 * Dense n-dimensional arrays: a flat typed array (C order) plus a shape and a numpy-like dtype.
 * Booleans are one byte per value (`Uint8Array`, dtype `"bool"`); strings are a JS array.
 *
 * @module
 */

/** Numeric element types (numpy names). */
export type NumericDType =
  | "int8"
  | "int16"
  | "int32"
  | "int64"
  | "uint8"
  | "uint16"
  | "uint32"
  | "uint64"
  | "float32"
  | "float64"

/** Every element type an AnnData array can have. */
export type DType = NumericDType | "bool" | "string"

/** Typed arrays backing numeric (and, as `Uint8Array`, boolean) arrays. */
export type NumericData =
  | Int8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigUint64Array
  | Float32Array
  | Float64Array

/** Integer typed arrays (sparse `indices`/`indptr`, categorical codes). */
export type IntegerData =
  | Int8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigUint64Array

/** Backing storage of a {@link DenseArray}. */
export type ArrayData = NumericData | ReadonlyArray<string>

type TypedArrayConstructor = {
  new(length: number): NumericData
  new(buffer: ArrayBufferLike, byteOffset: number, length: number): NumericData
  readonly BYTES_PER_ELEMENT: number
}

/** Typed-array constructor for each non-string dtype. */
export const TYPED_ARRAY: Readonly<Record<Exclude<DType, "string">, TypedArrayConstructor>> = {
  int8: Int8Array,
  int16: Int16Array,
  int32: Int32Array,
  int64: BigInt64Array,
  uint8: Uint8Array,
  uint16: Uint16Array,
  uint32: Uint32Array,
  uint64: BigUint64Array,
  float32: Float32Array,
  float64: Float64Array,
  bool: Uint8Array
}

/** Bytes per element of a non-string dtype. */
export const itemSize = (dtype: Exclude<DType, "string">): number => TYPED_ARRAY[dtype].BYTES_PER_ELEMENT

/** The dtype a typed array stands for (a `Uint8Array` is `uint8`, not `bool`). */
export const dtypeOf = (data: NumericData): NumericDType => {
  if (data instanceof Float32Array) return "float32"
  if (data instanceof Float64Array) return "float64"
  if (data instanceof Int32Array) return "int32"
  if (data instanceof BigInt64Array) return "int64"
  if (data instanceof Int8Array) return "int8"
  if (data instanceof Int16Array) return "int16"
  if (data instanceof Uint8Array) return "uint8"
  if (data instanceof Uint16Array) return "uint16"
  if (data instanceof Uint32Array) return "uint32"
  return "uint64"
}

/** Allocates a zeroed typed array for `dtype`. */
export const allocate = (dtype: Exclude<DType, "string">, length: number): NumericData =>
  new TYPED_ARRAY[dtype](length)

/** Whether a value is one of the typed arrays in {@link NumericData}. */
export const isNumericData = (x: unknown): x is NumericData =>
  ArrayBuffer.isView(x) && !(x instanceof DataView) && !(x instanceof Uint8ClampedArray) &&
  !(typeof Float16ArrayCtor === "function" && x instanceof Float16ArrayCtor)

const Float16ArrayCtor: unknown = (globalThis as Record<string, unknown>).Float16Array

/** Number of elements in a shape (1 for a scalar `[]`). */
export const shapeSize = (shape: ReadonlyArray<number>): number => shape.reduce((a, b) => a * b, 1)

/** An n-dimensional array in C order. */
export class DenseArray {
  /**
   * @param dtype - element type; `"bool"` data is a `Uint8Array` of 0/1, `"string"` data a string array
   * @param data - flat values in C (row-major) order
   * @param shape - dimensions; `[]` for a scalar
   */
  constructor(
    readonly dtype: DType,
    readonly data: ArrayData,
    readonly shape: ReadonlyArray<number>
  ) {
    if (data.length !== shapeSize(shape)) {
      throw new RangeError(`DenseArray: ${data.length} values do not fill shape [${shape.join(", ")}]`)
    }
    if ((dtype === "string") !== Array.isArray(data)) {
      throw new TypeError(`DenseArray: dtype ${dtype} does not match its data`)
    }
  }

  /** A numeric array; the dtype follows the typed array (default shape: 1-D). */
  static of(data: NumericData, shape: ReadonlyArray<number> = [data.length]): DenseArray {
    return new DenseArray(dtypeOf(data), data, shape)
  }

  /** A boolean array from booleans or 0/1 bytes. */
  static bool(values: ReadonlyArray<boolean> | Uint8Array, shape: ReadonlyArray<number> = [values.length]): DenseArray {
    const data = values instanceof Uint8Array ? values : Uint8Array.from(values, (v) => (v ? 1 : 0))
    return new DenseArray("bool", data, shape)
  }

  /** A string array. */
  static strings(values: ReadonlyArray<string>, shape: ReadonlyArray<number> = [values.length]): DenseArray {
    return new DenseArray("string", values, shape)
  }

  /** Number of dimensions. */
  get ndim(): number {
    return this.shape.length
  }

  /** Number of elements. */
  get size(): number {
    return this.data.length
  }

  /** Numeric (or boolean) data; throws for string arrays. */
  get numeric(): NumericData {
    if (Array.isArray(this.data)) throw new TypeError("DenseArray: string array has no numeric data")
    return this.data as NumericData
  }

  /** String data; throws for numeric arrays. */
  get strings(): ReadonlyArray<string> {
    if (!Array.isArray(this.data)) throw new TypeError(`DenseArray: ${this.dtype} array has no string data`)
    return this.data as ReadonlyArray<string>
  }

  /** Element at a flat index, as a JS value (bigint for 64-bit integers, boolean for bool). */
  at(i: number): number | bigint | boolean | string {
    const v = this.data[i]
    return this.dtype === "bool" ? v === 1 : (v as number | bigint | string)
  }
}
