/**
 * Migration 70: code fingerprints.
 *
 * @module
 */
import { columnTypes } from "../ddl.js"
import type { Migration } from "./migration.js"

/**
 * The code fingerprints of steps, kept once per distinct fingerprint (the files and packages a
 * step's module reaches, by hash), so `why` can name the file that changed while each run
 * stores only the fingerprint's hash.
 */
export const codeFingerprints: Migration = {
  id: 70,
  name: "code fingerprints: files and packages a step's module reaches",
  statements: (d) => {
    const t = columnTypes(d)
    return [
      `CREATE TABLE lamina_code_fingerprint (
        hash ${t.key} NOT NULL PRIMARY KEY,
        files ${t.json} NOT NULL,
        packages ${t.json} NOT NULL,
        created_at ${t.ts} NOT NULL
      )`
    ]
  }
}
