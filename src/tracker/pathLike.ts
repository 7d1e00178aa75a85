/**
 * Whether a string may name a local file, as the cache keys read strings: a param's value, a word
 * of a command line, a word of a script a step ran.
 *
 * @module
 */

const PATH_LIKE = /[\\/]|\.[A-Za-z0-9]{1,8}$/
const URL_LIKE = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//

/** Whether `value` may name a local file: a slash or a file extension, not a URL. */
export const looksLikePath = (value: string): boolean =>
  value.length > 0 && value.length <= 4096 && PATH_LIKE.test(value) && !URL_LIKE.test(value) && !value.includes("\0") && !value.includes("\n")
