/**
 * What a writer process (`worker.ts`) saves, shared with the tests that check the bytes.
 *
 * @module
 */

/**
 * The bytes of a worker's `n`-th save: new for every key, worker and save. The key keeps a second
 * round (another key, the same worker ids) from saving the first round's bytes again, which would
 * take the duplicate path instead of the one measured.
 */
export const workerContent = (key: string, id: string, n: number, what: string): string => `${key}/${id}:${n}:${what}`
