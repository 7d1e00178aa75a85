import { mkdirSync, writeFileSync } from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { copyAndHash, hashFile } from "../../src/storage/fileio.js"
import { b16ToB64, hashBytes, hashFolder } from "../../src/storage/hash.js"
import { summarizeFolder } from "../../src/storage/local.js"
import { fileTrees } from "../support/tree.js"

/** A temporary folder, removed when this file's tests end. */
const hashFolders = fileTrees("lamina-hash-")
const tmp = (): string => hashFolders({})

describe("hash", () => {
  it("matches LaminDB's test vectors", async () => {
    const dir = tmp()
    for (const [content, expected] of [
      ["a", "DMF1ucDxtqgxw5niaXcmYQ"],
      ["b", "kutf_uauL-w61xx3dTFXjw"],
      ["abc", "kAFQmDzST7DWlj99KOF_cg"]
    ] as const) {
      const f = path.join(dir, `${content}.txt`)
      writeFileSync(f, content)
      expect(await hashFile(f)).toEqual({ hash: expected, hash_type: "md5", size: content.length })
      expect(hashBytes(Buffer.from(content)).hash).toBe(expected)
    }
    expect(b16ToB64("9b89c8c1acf79dba5b5341d1fff9806f")).toBe("m4nIwaz3nbpbU0HR__mAbw")
  })

  it("hashes folders as md5-d, independent of paths", async () => {
    const a = tmp()
    mkdirSync(path.join(a, "sub"))
    writeFileSync(path.join(a, "x.txt"), "a")
    writeFileSync(path.join(a, "sub", "y.txt"), "b")
    const b = tmp()
    writeFileSync(path.join(b, "other.txt"), "b")
    writeFileSync(path.join(b, "name.txt"), "a")
    const sa = await summarizeFolder(a)
    expect(sa).toEqual(await summarizeFolder(b))
    expect(sa).toMatchObject({ hash_type: "md5-d", n_files: 2, size: 2 })
    expect(sa.hash).toBe(hashFolder(["kutf_uauL-w61xx3dTFXjw", "DMF1ucDxtqgxw5niaXcmYQ"]))
  })

  it("hashes whole content of a large file while copying it", async () => {
    const dir = tmp()
    const src = path.join(dir, "big.bin")
    const bytes = Buffer.alloc(9 * 1024 * 1024 + 17, 7)
    bytes[5 * 1024 * 1024] = 1 // an edit in the middle changes the hash
    writeFileSync(src, bytes)
    const copied = await copyAndHash(src, path.join(dir, "out", "copy.bin"))
    expect(copied).toEqual(hashBytes(bytes))
    expect(await hashFile(path.join(dir, "out", "copy.bin"))).toEqual(copied)
  })
})
