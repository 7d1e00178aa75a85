/**
 * Processes of a loopback cluster for the tests and benchmarks: runners (each prints
 * `ready <address>` once registered) and callers (each prints one JSON line and exits). All run
 * one script (`node.ts`, bundled or compiled), so they share byte-identical step code.
 *
 * @module
 */
import { spawn, type ChildProcess } from "node:child_process"
import { createServer } from "node:net"
import { createInterface } from "node:readline"

/** Extra node flags for every runner and caller (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`), to profile them. */
const nodeArgs = (process.env.LAMINA_BENCH_NODE_ARGS ?? "").split(" ").filter((a) => a.length > 0)

/** A free TCP port on loopback. */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })

/** A started runner process. */
export interface RunnerProcess {
  readonly child: ChildProcess
  readonly pid: number
  readonly port: number
  /** Resolves with its address once it registered; rejects if it exits first. */
  readonly ready: Promise<string>
  readonly exited: Promise<number | null>
  /** Its stderr so far. */
  readonly stderr: () => string
}

/** Settings every process of a test cluster shares. */
export interface ClusterInstance {
  readonly storage: string
  readonly db: string
  readonly s3?: unknown
  readonly failoverAfter?: string
}

/** Start a runner of `script` (node.ts) on a free port. */
export const startRunner = async (
  script: string,
  instance: ClusterInstance,
  options: { readonly concurrency?: number; readonly stale?: boolean; readonly env?: NodeJS.ProcessEnv } = {}
): Promise<RunnerProcess> => {
  const port = await freePort()
  const child = spawn(process.execPath, [...nodeArgs, script, "runner", JSON.stringify({ ...instance, port, ...options, env: undefined })], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...options.env }
  })
  let stderr = ""
  child.stderr!.on("data", (d: Buffer) => void (stderr += d.toString()))
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)))
  const ready = new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on("line", (line) => {
      if (line.startsWith("ready ")) resolve(line.slice("ready ".length))
    })
    void exited.then((code) => reject(new Error(`runner on port ${port} exited with ${code} before it was ready: ${stderr.trim() || "(no output)"}`)))
  })
  ready.catch(() => undefined)
  return { child, pid: child.pid!, port, ready, exited, stderr: () => stderr }
}

/** What a caller prints. */
export interface CallerResult {
  readonly ok: boolean
  readonly ms: number
  readonly error?: string
  readonly value: unknown
  readonly events: ReadonlyArray<{ readonly status: string; readonly kind: string; readonly name: string; readonly run: string; readonly runner?: string }>
  readonly rss: number
  readonly peakRss?: number
  /** The median wall time between consecutive step ends (ms), for flows of one-at-a-time steps. */
  readonly stepMedianMs?: number
  /** The caller's CPU time (user + system) during the flow, ms. */
  readonly cpuMs?: number
  /** Everything else the caller printed (its log lines), stdout then stderr. */
  readonly output: string
}

/** Run one caller to completion. */
export const runCaller = (
  script: string,
  instance: ClusterInstance,
  call: { readonly flow: string; readonly args: ReadonlyArray<number>; readonly cluster: boolean; readonly attempts?: number },
  env: NodeJS.ProcessEnv = {}
): { readonly child: ChildProcess; readonly result: Promise<CallerResult> } => {
  const child = spawn(process.execPath, [...nodeArgs, script, "caller", JSON.stringify({ ...instance, ...call })], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } })
  let stdout = ""
  let stderr = ""
  child.stdout!.on("data", (d: Buffer) => void (stdout += d.toString()))
  child.stderr!.on("data", (d: Buffer) => void (stderr += d.toString()))
  const result = new Promise<CallerResult>((resolve, reject) =>
    child.on("close", (code) => {
      const line = stdout.split("\n").find((l) => l.startsWith("{"))
      let parsed: Omit<CallerResult, "output"> | undefined
      try {
        parsed = line === undefined ? undefined : (JSON.parse(line) as Omit<CallerResult, "output">)
      } catch {
        parsed = undefined
      }
      if (parsed !== undefined) resolve({ ...parsed, output: stdout.split("\n").filter((l) => l !== line).join("\n") + stderr })
      else reject(new Error(`caller exited with ${code} without a complete result line: ${stderr.trim() || stdout.slice(0, 200) || "(no output)"}`))
    })
  )
  return { child, result }
}

/** Stop runners (SIGTERM: they drain and unregister) and wait for them to exit; SIGKILL after 30 s. */
export const stopRunners = async (runners: ReadonlyArray<RunnerProcess>): Promise<void> => {
  const live = runners.filter((r) => r.child.exitCode === null && r.child.signalCode === null)
  for (const r of live) r.child.kill("SIGTERM")
  const kill = setTimeout(() => live.forEach((r) => r.child.kill("SIGKILL")), 30_000)
  await Promise.all(runners.map((r) => r.exited))
  clearTimeout(kill)
}
