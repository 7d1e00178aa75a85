/**
 * The real workflow-run fixtures, read in place from ../shared/fixtures/workflows (never copied).
 */
import { existsSync, readdirSync } from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..")

/**
 * The fixtures folder: `../shared/fixtures/workflows` next to the repository (a git worktree
 * one level deeper finds it one folder further up; a checkout elsewhere falls back to the machine's
 * /work/shared), or `$LAMINA_WORKFLOW_FIXTURES`.
 */
export const FIXTURES =
  process.env.LAMINA_WORKFLOW_FIXTURES ??
  [path.join(repo, "..", "shared"), path.join(repo, "..", "..", "shared"), "/work/shared"].map((d) => path.join(d, "fixtures", "workflows")).find((d) => existsSync(d)) ??
  path.join(repo, "..", "shared", "fixtures", "workflows")

/** Whether the fixtures are present. */
export const haveFixtures = existsSync(FIXTURES)

/** Fixture folders of one tool. */
export const fixtureDirs = (tool: "nextflow" | "snakemake"): ReadonlyArray<string> =>
  haveFixtures ? readdirSync(FIXTURES).filter((d) => d.startsWith(`${tool}-`)).sort().map((d) => path.join(FIXTURES, d)) : []
