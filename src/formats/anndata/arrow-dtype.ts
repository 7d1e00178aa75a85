/**
 * Mapping between AnnData/numpy dtypes and Arrow types, and between Arrow vectors and flat
 * arrays.
 *
 * @module
 */
import {
  DataType,
  Float32,
  Float64,
  Int16,
  Int32,
  Int64,
  Int8,
  Uint16,
  Uint32,
  Uint64,
  Uint8,
  type Vector
} from "apache-arrow"
import { boolVector, numericVector, utf8Vector, type Validity } from "../table/arrow-build.js"
import { allocate, DenseArray, type DType, type NumericData, type NumericDType } from "./dense-array.js"

/** The Arrow type of a numeric dtype. */
export const arrowNumericType = (dtype: NumericDType) => {
  switch (dtype) {
    case "int8":
      return new Int8()
    case "int16":
      return new Int16()
    case "int32":
      return new Int32()
    case "int64":
      return new Int64()
    case "uint8":
      return new Uint8()
    case "uint16":
      return new Uint16()
    case "uint32":
      return new Uint32()
    case "uint64":
      return new Uint64()
    case "float32":
      return new Float32()
    case "float64":
      return new Float64()
  }
}

/** An Arrow vector over a 1-D array (numeric data is not copied). */
export const vectorOfArray = (array: DenseArray, validity?: Validity): Vector => {
  if (array.dtype === "string") {
    const strings = array.strings
    return utf8Vector(validity === undefined ? strings : strings.map((s, i) => isNullAt(validity, i) ? null : s))
  }
  if (array.dtype === "bool") return boolVector(array.numeric as Uint8Array, validity)
  return numericVector(arrowNumericType(array.dtype), array.numeric, validity) as Vector
}

const isNullAt = (v: Validity, i: number): boolean => (v.bitmap[i >> 3] & (1 << (i & 7))) === 0

/** The AnnData dtype of an Arrow type, if it has one. */
export const dtypeOfArrow = (type: DataType): DType | undefined => {
  if (DataType.isInt(type)) {
    return `${type.isSigned ? "int" : "uint"}${type.bitWidth}` as NumericDType
  }
  if (DataType.isFloat(type)) return type.precision === 1 ? "float32" : type.precision === 2 ? "float64" : undefined
  if (DataType.isBool(type)) return "bool"
  if (DataType.isUtf8(type) || DataType.isLargeUtf8(type)) return "string"
  return undefined
}

/** Flat values of an Arrow vector of a numeric/bool/string type; nulls become 0/false/"" (NaN for floats). */
export const arrayOfVector = (vector: Vector, dtype: DType): DenseArray => {
  const n = vector.length
  if (dtype === "string") {
    const out = new Array<string>(n)
    for (let i = 0; i < n; i++) {
      const v: unknown = vector.get(i)
      out[i] = v === null || v === undefined ? "" : String(v)
    }
    return DenseArray.strings(out)
  }
  if (dtype === "bool") {
    const out = new Uint8Array(n)
    for (let i = 0; i < n; i++) out[i] = vector.get(i) === true ? 1 : 0
    return DenseArray.bool(out)
  }
  let data: NumericData
  if (vector.data.length === 1 && vector.nullCount === 0) {
    data = vector.data[0].values as NumericData
    data = data.subarray(0, n) as NumericData
  } else {
    data = allocate(dtype, n)
    let pos = 0
    for (const chunk of vector.data) {
      data.set(chunk.values.subarray(0, chunk.length) as never, pos)
      pos += chunk.length
    }
    if (vector.nullCount > 0 && (dtype === "float32" || dtype === "float64")) {
      for (let i = 0; i < n; i++) if (!vector.isValid(i)) data[i] = NaN
    }
  }
  return new DenseArray(dtype, data, [n])
}

/** A mask of the null slots of a vector (1 = missing), or `undefined` when there are none. */
export const nullMaskOf = (vector: Vector): Uint8Array | undefined => {
  if (vector.nullCount === 0) return undefined
  const mask = new Uint8Array(vector.length)
  for (let i = 0; i < vector.length; i++) if (!vector.isValid(i)) mask[i] = 1
  return mask
}
