/**
 * The files a script a step ran names in its text (src/tracker/scriptReads.ts): a shell script's
 * words that name files (after a variable too), the scripts among them in turn, a Python script's
 * imports; never a data file read as a script.
 */
import * as path from "node:path"
import { expect, it } from "vitest"
import { scriptReadsOf } from "../../src/tracker/scriptReads.js"
import { fileTrees } from "../support/tree.js"

const project = fileTrees("lamina-scriptreads-")

it("follows a shell script's named files and scripts (an extensionless one with a sh first line), and a Python script's imports", () => {
  const root = project({
    "bin/pipeline": '#!/usr/bin/env bash\nHERE="$(cd "$(dirname "$0")" && pwd)"\nsource "${HERE}/../lib/common.sh"\n"$HERE/stage.sh" data/input.csv\n',
    "lib/common.sh": "REF=$(dirname \"$0\")/../ref/genome.fa\n",
    "bin/stage.sh": "python3 $(dirname \"$0\")/qc.py \"$@\"\n",
    "bin/qc.py": "import qcutil\n",
    "bin/qcutil.py": "",
    "bin/data/input.csv": "a,b\n",
    "bin/unused.sh": "echo unused\n"
  })
  // Under the project: the first line's /usr/bin/env is a file it names too.
  const reads = scriptReadsOf(path.join(root, "bin", "pipeline"))
    .filter((r) => r.file.startsWith(root))
    .map((r): [string, boolean] => [path.relative(root, r.file), r.imported])
  expect(new Map(reads)).toEqual(
    new Map([
      ["lib/common.sh", false],
      ["bin/stage.sh", false],
      ["bin/qc.py", false],
      ["bin/qcutil.py", true],
      ["bin/data/input.csv", false]
    ])
  )
  // An R script's sourced files (from its folder or the working directory), and the scripts among them.
  const r = project({ "analysis.R": 'source("R/helpers.R")\nsys.source(\'R/missing.R\', envir = e)\n# source("R/old.R") in a comment counts too\n', "R/helpers.R": 'source("R/plot.R")\n', "R/plot.R": "", "R/old.R": "" })
  expect(new Set(scriptReadsOf(path.join(r, "analysis.R")).map((s) => path.relative(r, s.file)))).toEqual(new Set(["R/helpers.R", "R/plot.R", "R/old.R"]))
  // Not scripts: a data file and a file with another extension are not read as one.
  expect(scriptReadsOf(path.join(root, "bin", "data", "input.csv"))).toEqual([])
})
