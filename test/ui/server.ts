/**
 * Run the UI server inside a test instance (its own scope, closed by `stop`), and fetch from it.
 */
import { Effect, Exit, Scope } from "effect"
import type { TestInstance } from "../support/backends.js"
import { startUi, type RunningUi, type UiOptions } from "../../src/ui/server.js"

/** A started server and its stop function. */
export interface TestUi extends RunningUi {
  readonly base: string
  readonly stop: () => Promise<void>
}

/** Start the UI server on a free loopback port for `i`. */
export const serveUi = async (i: TestInstance, options: UiOptions = {}): Promise<TestUi> => {
  const scope = await i.run(Scope.make())
  const ui = await i.run(Scope.extend(startUi({ port: 0, ...options }), scope))
  return { ...ui, base: `http://127.0.0.1:${ui.port}`, stop: () => i.run(Scope.close(scope, Exit.void)) }
}

/** GET a JSON endpoint; returns status and body. */
export const getJson = async <A = Record<string, unknown>>(base: string, path: string, headers: Record<string, string> = {}): Promise<{ readonly status: number; readonly body: A }> => {
  const res = await fetch(base + path, { headers })
  return { status: res.status, body: (await res.json()) as A }
}

/** GET a JSON endpoint that must answer 200. */
export const okJson = async <A = Record<string, unknown>>(base: string, path: string): Promise<A> => {
  const { status, body } = await getJson<A>(base, path)
  if (status !== 200) throw new Error(`GET ${path} answered ${status}: ${JSON.stringify(body)}`)
  return body
}

export { Effect }
