/**
 * The programs a command line starts by name, found on the PATH (src/tracker/programs.ts).
 */
import { chmodSync } from "node:fs"
import * as path from "node:path"
import { expect, it } from "vitest"
import { onPath, programWords } from "../../src/tracker/programs.js"
import { fileTrees } from "../support/tree.js"

const project = fileTrees("lamina-programs-")

it("takes the first word of an argument list, and of each command of a shell line (exec's, or a shell's -c), past assignments and prefix commands", () => {
  expect(programWords(["filter_reads", "in.fq", "out.fq"])).toEqual(["filter_reads"])
  expect(programWords(["/bin/sh", "-c", "LC_ALL=C sort in.txt | uniq -c && env FOO=1 nohup count_kmers x; (cd out && gzip -9 y)"])).toEqual(
    ["/bin/sh", "sort", "uniq", "count_kmers", "cd", "gzip"]
  )
  expect(programWords(["bash", "-ec", "tool a"])).toEqual(["bash", "tool"])
  expect(programWords(["samtools view x.bam|head -n 2;echo $(wc -l y)"])).toEqual(["samtools", "head", "echo", "wc"])
  expect(programWords(["'./run.sh' a b"])).toEqual(["./run.sh"])
  // Another program's arguments are not command lines, whatever they hold.
  expect(programWords(["python3", "-c", "import sys; print(sys.argv)"])).toEqual(["python3"])
  expect(programWords([])).toEqual([])
})

it("finds a program on the PATH as the system does: the first folder holding an executable file of that name; relative entries from the working directory", () => {
  const root = project({ "first/tool": "#!/bin/sh\n", "second/tool": "#!/bin/sh\n", "plain/tool": "not executable\n", "bin/other": "#!/bin/sh\n" })
  for (const file of ["first/tool", "second/tool", "bin/other"]) chmodSync(path.join(root, file), 0o755)
  const searchPath = (...folders: ReadonlyArray<string>) => folders.join(path.delimiter)
  expect(onPath("tool", searchPath(path.join(root, "plain"), path.join(root, "second"), path.join(root, "first")), "/")).toBe(path.join(root, "second", "tool"))
  expect(onPath("other", searchPath("missing", "bin"), root)).toBe(path.join(root, "bin", "other"))
  expect(onPath("tool", searchPath(path.join(root, "plain")), "/")).toBeUndefined()
  expect(onPath("bin/other", searchPath(root), "/")).toBeUndefined()
  expect(onPath("tool", undefined, "/")).toBeUndefined()
})
