/**
 * Worker side of the start line: a worker connects, then waits for the parent's "go" line on
 * stdin, so every process starts its timed work at the same moment.
 */
import { createInterface } from "node:readline"

/** Resolve when the parent writes a line to stdin. */
export const waitForGo = (): Promise<void> =>
  new Promise<void>((resolve) => {
    const rl = createInterface({ input: process.stdin })
    rl.once("line", () => {
      rl.close()
      resolve()
    })
  })
