import { mkdtempSync } from "node:fs"
import * as path from "node:path"
import { it } from "vitest"
import { runNode } from "../support/cli.js"
it("probe", async () => {
  const home = mkdtempSync("/tmp/ms-")
  for (const k of [1, 2]) {
    const r = await Promise.race([runNode([path.resolve("dist/examples/run.js"), "model-sweep"], { env: { LAMINA_HOME: home }, cwd: home }), new Promise((res) => setTimeout(() => res("TIMEOUT"), 25000))])
    console.log(k, typeof r === "string" ? r : [r.code, r.stdout.split("\n").filter((l) => l.includes("step runs"))])
  }
}, 60000)
