#!/usr/bin/env node
// One-time machine set-up behind `npm run demo` and `npm test`:
//  - dependencies installed (npm install; `npm ci` fails on this registry, see DESIGN.md)
//  - with --test: the local PostgreSQL started if it is installed but down, and the Debian
//    peers used by format and adapter tests (python3-anndata, python3-zarr, python3-h5py,
//    snakemake) and the browser of the UI's end-to-end tests (chromium) installed when running
//    as root.
// Every step is idempotent and quick when there is nothing to do.
import { spawnSync } from "node:child_process"
import { existsSync, readdirSync } from "node:fs"
import { createConnection } from "node:net"

const forTests = process.argv.includes("--test")
const log = (m) => process.stderr.write(`[setup] ${m}\n`)
const sh = (cmd, opts = {}) => spawnSync("bash", ["-c", cmd], { stdio: "inherit", ...opts }).status === 0

if (!existsSync("node_modules/.package-lock.json") || !existsSync("node_modules/better-sqlite3/build")) {
  log("installing npm dependencies")
  if (!sh("npm install --no-audit --no-fund")) process.exit(1)
}

if (forTests) {
  const portOpen = (port) =>
    new Promise((resolve) => {
      const s = createConnection({ host: "127.0.0.1", port })
      s.once("connect", () => (s.end(), resolve(true)))
      s.once("error", () => resolve(false))
      s.setTimeout(1000, () => (s.destroy(), resolve(false)))
    })
  if (!(await portOpen(5432))) {
    if (existsSync("/etc/postgresql")) {
      const version = readdirSync("/etc/postgresql")[0]
      log(`starting PostgreSQL ${version}`)
      sh(`pg_ctlcluster --skip-systemctl-redirect ${version} main start`)
    } else log("PostgreSQL is not installed: the Postgres suites will fail (LAMINA_ALLOW_SKIP=1 skips them)")
  }
  const py = "/usr/bin/python3"
  const havePeers = existsSync(py) && spawnSync(py, ["-c", "import anndata, zarr, h5py"], { stdio: "ignore" }).status === 0
  const haveSnakemake = spawnSync("bash", ["-c", "command -v snakemake"], { stdio: "ignore" }).status === 0
  const haveChromium = existsSync("/usr/bin/chromium")
  const missing = [...(havePeers ? [] : ["python3-anndata", "python3-zarr", "python3-h5py"]), ...(haveSnakemake ? [] : ["snakemake"]), ...(haveChromium ? [] : ["chromium"])]
  if (missing.length > 0 && process.getuid?.() === 0) {
    log(`installing Debian packages: ${missing.join(" ")}`)
    sh(`apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${missing.join(" ")} >/dev/null`)
  } else if (missing.length > 0) {
    log(`missing and not root: install ${missing.join(" ")}`)
  }
}

