/**
 * A JavaScript identifier as source text patterns see it: Unicode-aware, as the language is
 * (`λ`, `größe`, `$el`), for every pattern that reads names out of a step's source. Use it in a
 * `RegExp` with the `u` flag.
 *
 * @module
 */

/** The pattern of one identifier (no anchors, no flags). */
export const IDENTIFIER = String.raw`[\p{ID_Start}_$][\p{ID_Continue}$]*`
