/**
 * The CLI a new user meets first: --version (and which Blosc decoder is in use), help for
 * every command listing every option, extra arguments rejected, restore, "already saved as",
 * keyless artifacts and internal environment artifacts in `ls`, `ls --json` provenance,
 * `--instance NAME|PATH`, and `describe` of runs and transforms.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import { flow, step } from "../../src/flow/index.js"
import * as Lamina from "../../src/instance/Lamina.js"
import { Artifact } from "../../src/registry/Artifact.js"
import { lamina, laminaJson } from "../support/cli.js"

// Each test spawns many CLI processes: generous on a loaded machine.
describe("lamina CLI: the first hour", { timeout: 300_000 }, () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "lamina-cli-first-"))
  const home = path.join(dir, "home")
  const storageA = path.join(dir, "a")
  const storageB = path.join(dir, "b")
  // In-process runs below use the same local user as the CLI calls.
  process.env.LAMINA_HOME = home
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  const write = (name: string, content: string) => {
    const p = path.join(dir, name)
    writeFileSync(p, content)
    return p
  }

  it("--version, and with --verbose the Blosc decoder in use", async () => {
    const v = await lamina(home, ["--version"])
    expect(v.code).toBe(0)
    expect(v.stdout.trim()).toMatch(/^lamina \d+\.\d+\.\d+$/)
    const verbose = await lamina(home, ["--version", "--verbose"])
    expect(verbose.stdout).toMatch(/^blosc decoder: (native \(c-blosc [\d.]+\)|javascript \(.+\))$/m)
    expect(verbose.stdout).toMatch(/^effect 3\.\d+\.\d+$/m)
    const js = await lamina(home, ["--version", "--verbose"], { LAMINA_NATIVE_BLOSC: "0" })
    expect(js.stdout).toContain("blosc decoder: javascript (LAMINA_NATIVE_BLOSC=0)")
  })

  it("'help save' and 'save --help' list every option; 'help ls' shows the filter syntax with __in", async () => {
    const a = await lamina(home, ["help", "save"])
    const b = await lamina(home, ["save", "--help"])
    expect(a.code).toBe(0)
    expect(a.stdout).toBe(b.stdout)
    for (const option of ["--key", "--description", "--version-tag", "--kind", "--instance", "--json"]) expect(a.stdout).toContain(option)
    expect(a.stdout.split("\n")[0]).toContain("--kind") // the usage line too
    const ls = await lamina(home, ["help", "ls"])
    expect(ls.stdout).toContain("__in")
    expect(ls.stdout).toContain("--all")
    const unknown = await lamina(home, ["help", "nope"])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toMatch(/Unknown command 'nope'/)
  })

  it("init remembers instances by name; extra positional arguments are rejected", async () => {
    expect((await lamina(home, ["init", "--storage", storageA, "--name", "alpha"])).code).toBe(0)
    const extra = await lamina(home, ["describe", "raw/x.csv", "raw/y.csv"])
    expect(extra.code).toBe(2)
    expect(extra.stderr).toMatch(/'lamina describe' takes at most 1 argument; unexpected: 'raw\/y.csv'/)
    const ui = await lamina(home, ["save", write("x.txt", "x"), "--key", "x.txt", "oops"])
    expect(ui.code).toBe(2)
  })

  it("a duplicate save says 'already saved as …'; delete then restore brings the artifact back", async () => {
    const first = await lamina(home, ["save", write("m.csv", "s,v\n1,2\n"), "--key", "raw/m.csv"])
    expect(first.stdout).toMatch(/^✓ saved \w{20} {2}raw\/m\.csv/)
    const dup = await lamina(home, ["save", path.join(dir, "m.csv"), "--key", "raw/copy.csv"])
    expect(dup.code).toBe(0)
    expect(dup.stdout).toMatch(/^= already saved as \w{20} {2}raw\/m\.csv {2}v0000 {2}\(same content; key 'raw\/copy\.csv' not applied\)/)
    const uid = first.stdout.split(/\s+/)[2]!
    const del = await lamina(home, ["delete", "raw/m.csv"])
    expect(del.stdout).toContain(`lamina restore ${uid}`)
    expect((await lamina(home, ["describe", "raw/m.csv"])).code).toBe(1)
    const restored = await laminaJson<{ uid: string; is_latest: boolean }>(home, ["restore", "raw/m.csv"])
    expect(restored).toMatchObject({ uid, is_latest: true })
    expect(await laminaJson(home, ["describe", "raw/m.csv"])).toMatchObject({ uid, branch: 1 })
    const again = await lamina(home, ["restore", uid])
    expect(again.code).toBe(2)
    expect(again.stderr).toMatch(/not in trash/)
    const missing = await lamina(home, ["restore", "raw/never.csv"])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toMatch(/No trashed artifact with key or uid 'raw\/never.csv'/)
  })

  it("ls: a keyless artifact shows no description in the key column; internal artifacts only with --all", async () => {
    await laminaJson(home, ["save", write("nokey.txt", "no key here"), "--description", "just a description"])
    await laminaJson(home, ["save", write("env.json", "{}"), "--kind", "__lamina_run__", "--description", "run environment"])
    const table = await lamina(home, ["ls", "artifact"])
    expect(table.stdout).not.toContain("just a description")
    expect(table.stdout).toMatch(/^\w{20}\s+–\s+0000/m)
    const plain = await laminaJson<ReadonlyArray<{ kind: string | null }>>(home, ["ls", "artifact"])
    expect(plain.some((a) => a.kind === "__lamina_run__")).toBe(false)
    const all = await laminaJson<ReadonlyArray<{ kind: string | null }>>(home, ["ls", "artifact", "--all"])
    expect(all.some((a) => a.kind === "__lamina_run__")).toBe(true)
    const byKind = await laminaJson<ReadonlyArray<{ kind: string | null }>>(home, ["ls", "artifact", "--filter", "kind=__lamina_run__"])
    expect(byKind).toHaveLength(1)
  })

  it("ls --json carries each artifact's run uid and creator; describe shows runs and transforms", async () => {
    const double = step("double-file", (text: string) =>
      Effect.gen(function* () {
        const file = path.join(dir, `double-${text}.txt`)
        writeFileSync(file, text + text)
        return yield* (yield* Artifact.fromPath(file, { key: `out/${text}.txt` })).save()
      })
    )
    const pipeline = flow("first-hour-pipeline", (text: string) => double(text))
    const saved = await Effect.runPromise(Effect.provide(pipeline("ab"), Lamina.layer({ storage: storageA })))
    const listed = await laminaJson<ReadonlyArray<{ uid: string; run: string | null; created_by: string | null }>>(home, ["ls", "artifact", "--filter", "key=out/ab.txt"])
    expect(listed).toHaveLength(1)
    expect(listed[0]!.uid).toBe(saved.uid)
    expect(listed[0]!.run).toMatch(/^\w{16}$/)
    expect(typeof listed[0]!.created_by).toBe("string")
    const manual = await laminaJson<ReadonlyArray<{ run: string | null }>>(home, ["ls", "artifact", "--filter", "key=raw/m.csv"])
    expect(manual[0]!.run).toBeNull()

    const run = await laminaJson<{ uid: string; status: string; outputs: ReadonlyArray<{ key: string }>; transform: { key: string }; params: unknown; initiated_by_run: string }>(home, [
      "describe",
      listed[0]!.run!
    ])
    expect(run).toMatchObject({ uid: listed[0]!.run, status: "completed", outputs: [{ key: "out/ab.txt" }], params: { text: "ab" } })
    expect(run.initiated_by_run).toMatch(/^\w{16}$/)
    const shown = await lamina(home, ["describe", listed[0]!.run!])
    expect(shown.stdout).toMatch(/^Run · double-file/)
    const transform = await laminaJson<{ key: string; kind: string; n_runs: number }>(home, ["describe", run.transform.key])
    expect(transform).toMatchObject({ key: run.transform.key, kind: "function", n_runs: 1 })
    const nothing = await lamina(home, ["describe", "no/such/thing"])
    expect(nothing.code).toBe(1)
    expect(nothing.stderr).toMatch(/No artifact, run or transform 'no\/such\/thing'/)
  })

  it("--instance NAME|PATH runs one command on another instance without changing the current one", async () => {
    expect((await lamina(home, ["init", "--storage", storageB, "--name", "beta"])).code).toBe(0)
    expect(await laminaJson(home, ["ls", "artifact"])).toEqual([]) // beta is current and empty
    const byName = await laminaJson<ReadonlyArray<{ key: string }>>(home, ["ls", "artifact", "--instance", "alpha", "--filter", "key=raw/m.csv"])
    expect(byName.map((a) => a.key)).toEqual(["raw/m.csv"])
    const byPath = await laminaJson<ReadonlyArray<{ key: string }>>(home, ["ls", "artifact", "--instance", storageA, "--filter", "key=raw/m.csv"])
    expect(byPath.map((a) => a.key)).toEqual(["raw/m.csv"])
    expect(await laminaJson(home, ["describe", "raw/m.csv", "--instance", "alpha"])).toMatchObject({ key: "raw/m.csv" })
    expect(await laminaJson(home, ["ls", "artifact"])).toEqual([]) // still beta
    const unknown = await lamina(home, ["ls", "--instance", "gamma"])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toMatch(/No instance 'gamma': no instance of that name \(known: alpha, beta\)/)
    const onInit = await lamina(home, ["init", "--storage", storageA, "--instance", "alpha"])
    expect(onInit.code).toBe(2)
  })
})
