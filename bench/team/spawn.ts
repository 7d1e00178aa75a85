/**
 * Run worker processes against one instance and collect their results. Every process
 * connects first and prints `ready`; only when all are ready do they get `go` on stdin, so
 * they work at once; each ends by printing one JSON line (its result) and exiting 0.
 *
 * @module
 */
import { spawn, type ChildProcess } from "node:child_process"
import { createInterface } from "node:readline"
import type { WorkerConfig, WorkerResult } from "./worker.js"

interface Running<R> {
  readonly child: ChildProcess
  readonly ready: Promise<void>
  readonly done: Promise<R>
}

const start = <R>(script: string, config: { readonly id: string }): Running<R> => {
  const child = spawn(process.execPath, [script, JSON.stringify(config)], { stdio: ["pipe", "pipe", "pipe"], env: process.env })
  let stderr = ""
  child.stderr!.on("data", (d: Buffer) => void (stderr += d.toString()))
  const lines = createInterface({ input: child.stdout! })
  let markReady: () => void = () => undefined
  const ready = new Promise<void>((resolve) => (markReady = resolve))
  let result: R | undefined
  lines.on("line", (line) => {
    if (line === "ready") markReady()
    else if (line.startsWith("{")) result = JSON.parse(line) as R
  })
  const done = new Promise<R>((resolve, reject) => {
    child.on("error", reject)
    child.on("close", (code) => {
      if (code === 0 && result !== undefined) resolve(result)
      else reject(new Error(`worker ${config.id} exited with ${code}: ${stderr.trim() || "(no output)"}`))
    })
  })
  // A worker that dies before `ready` must not hang the caller.
  done.catch(() => markReady())
  return { child, ready, done }
}

/** Start one process per config (passed as JSON), release them together, return their results in order. */
export const runProcesses = async <R>(script: string, configs: ReadonlyArray<{ readonly id: string }>): Promise<ReadonlyArray<R>> => {
  const running = configs.map((c) => start<R>(script, c))
  await Promise.all(running.map((r) => r.ready))
  for (const r of running) r.child.stdin!.end("go\n")
  return Promise.all(running.map((r) => r.done))
}

/** `runProcesses` for the writer script (`worker.ts`). */
export const runWorkers = (script: string, configs: ReadonlyArray<WorkerConfig>): Promise<ReadonlyArray<WorkerResult>> =>
  runProcesses<WorkerResult>(script, configs)
