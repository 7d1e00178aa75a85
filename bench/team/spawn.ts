/**
 * Run writer processes (`worker.ts`) against one instance and collect their results. Every
 * process connects first; only when all are `ready` do they get `go`, so they write at once.
 *
 * @module
 */
import { spawn, type ChildProcess } from "node:child_process"
import { createInterface } from "node:readline"
import type { WorkerConfig, WorkerResult } from "./worker.js"

interface Running {
  readonly child: ChildProcess
  readonly ready: Promise<void>
  readonly done: Promise<WorkerResult>
}

const start = (script: string, config: WorkerConfig): Running => {
  const child = spawn(process.execPath, [script, JSON.stringify(config)], { stdio: ["pipe", "pipe", "pipe"], env: process.env })
  let stderr = ""
  child.stderr!.on("data", (d: Buffer) => void (stderr += d.toString()))
  const lines = createInterface({ input: child.stdout! })
  let markReady: () => void = () => undefined
  const ready = new Promise<void>((resolve) => (markReady = resolve))
  let result: WorkerResult | undefined
  lines.on("line", (line) => {
    if (line === "ready") markReady()
    else if (line.startsWith("{")) result = JSON.parse(line) as WorkerResult
  })
  const done = new Promise<WorkerResult>((resolve, reject) => {
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

/** Start one process per config, release them together, and return their results in order. */
export const runWorkers = async (script: string, configs: ReadonlyArray<WorkerConfig>): Promise<ReadonlyArray<WorkerResult>> => {
  const running = configs.map((c) => start(script, c))
  await Promise.all(running.map((r) => r.ready))
  for (const r of running) r.child.stdin!.end("go\n")
  return Promise.all(running.map((r) => r.done))
}
