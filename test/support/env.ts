/**
 * Test environment rules: a missing real component fails the test with the reason, unless
 * `LAMINA_ALLOW_SKIP=1` (never set in CI) turns that into a skip.
 */
export const allowSkip = process.env.LAMINA_ALLOW_SKIP === "1"

/** Throw (or, with LAMINA_ALLOW_SKIP=1, return false to skip) when a component is missing. */
export const requireComponent = (available: boolean, reason: string): boolean => {
  if (available) return true
  if (allowSkip) return false
  throw new Error(`${reason} (set LAMINA_ALLOW_SKIP=1 to skip instead; 'npm test' installs and starts what it can)`)
}
