/**
 * The SQL text builder the compiler assembles statements with (`src/db/sql.ts`), re-exported
 * for key resolvers.
 *
 * @module
 */
export * from "../db/sql.js"
