#!/usr/bin/env node
/**
 * The `lamina` executable's entry point (bundled to dist/lamina.mjs by scripts/build-cli.mjs).
 *
 * @module
 */
import { main } from "./main.js"

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (e: unknown) => {
    process.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`)
    process.exitCode = 70
  }
)
