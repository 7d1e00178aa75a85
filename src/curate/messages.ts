/**
 * The lines curation prints and the problems it reports, in LaminDB's wording (its curators'
 * log lines and pandera's column checks), so a user who knows LaminDB reads the same text.
 *
 * @module
 */
import type { ValidationProblem } from "../errors.js"

const quote = (v: string): string => `'${v}'`

/** `1 term is not validated: 'IFNJ'` / `→ fix typos, remove non-existent values, or save terms via .addNewFrom("perturbation")`. */
export const notValidated = (slot: string, column: string, values: ReadonlyArray<string>): ValidationProblem => ({
  kind: "not_validated",
  slot,
  column,
  values,
  message: `${values.length} term${values.length === 1 ? " is" : "s are"} not validated: ${values.map(quote).join(", ")}\n    → fix typos, remove non-existent values, or save terms via .addNewFrom(${JSON.stringify(column)})`
})

/** Index values (e.g. a var index of Ensembl ids) that the schema's registry field does not hold. */
export const indexNotValidated = (slot: string, source: string, values: ReadonlyArray<string>): ValidationProblem => ({
  kind: "index",
  slot,
  values,
  message: `${values.length} term${values.length === 1 ? " is" : "s are"} not validated: ${values.slice(0, 20).map(quote).join(", ")}${
    values.length > 20 ? `, … (${values.length - 20} more)` : ""
  }\n    → fix typos, remove non-existent values, or save the ${slot} index as ${source} records`
})

/** `Column 'x' failed dtype check for 'float': got int64`, with the hint to set `coerce`. */
export const dtypeFailed = (slot: string, column: string, expected: string, got: string, coerced: boolean): ValidationProblem => ({
  kind: "dtype",
  slot,
  column,
  message: `Column '${column}' failed dtype check for '${expected}': got ${got}${
    coerced ? "" : `\n    → set coerce: true on the feature or the schema to convert the values`
  }`
})

/** A required member column is missing (pandera's wording). */
export const missingColumn = (slot: string, column: string, present: ReadonlyArray<string>): ValidationProblem => ({
  kind: "missing_column",
  slot,
  column,
  message: `column '${column}' not in dataframe. Columns in dataframe: [${present.map(quote).join(", ")}]`
})

/** A column beyond the members of a `maximal_set` schema. */
export const extraColumn = (slot: string, column: string, schemaName: string | null): ValidationProblem => ({
  kind: "extra_column",
  slot,
  column,
  message: `column '${column}' not in schema${schemaName === null ? "" : ` '${schemaName}'`}\n    → the schema has maximal_set: remove the column, or add its feature to the schema`
})

/** Member columns in the wrong order for an `ordered_set` schema. */
export const outOfOrder = (slot: string, column: string, expected: ReadonlyArray<string>): ValidationProblem => ({
  kind: "order",
  slot,
  column,
  message: `column '${column}' out-of-order\n    → the schema has ordered_set: order the columns as ${expected.map(quote).join(", ")}`
})

/** Nulls in a feature that is not nullable (pandera's wording). */
export const nullsFound = (slot: string, column: string, count: number): ValidationProblem => ({
  kind: "nulls",
  slot,
  column,
  message: `non-nullable series '${column}' contains null values: ${count} null${count === 1 ? "" : "s"}\n    → fill them, or create the feature with nullable: true`
})

const pct = (n: number, total: number): string => `${((100 * n) / Math.max(total, 1)).toFixed(2)}%`

/** `4 unique terms (36.40%) are validated for name` and its negative twin. */
export const termsLine = (n: number, total: number, validated: boolean, field: string, values?: ReadonlyArray<string>): string =>
  `${n} unique term${n === 1 ? "" : "s"} (${pct(n, total)}) ${n === 1 ? "is" : "are"}${validated ? "" : " not"} validated for ${field}${
    values === undefined ? "" : `: ${values.slice(0, 20).map(quote).join(", ")}${values.length > 20 ? ", …" : ""}`
  }`

/** The ValidationError message for a set of problems: every problem, one after the other. */
export const problemsText = (problems: ReadonlyArray<ValidationProblem>): string => problems.map((p) => p.message).join("\n")
