import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    // Type tests (expectTypeOf / @ts-expect-error) run through tsc in `npm run typecheck`.
    typecheck: { enabled: false }
  }
})
