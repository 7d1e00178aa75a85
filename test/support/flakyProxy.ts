/**
 * A loopback HTTP proxy in front of the test S3 server that fails chosen requests, to test
 * retries and failed uploads without timing: each request is passed through, answered with a
 * 503 SlowDown-style error, or has its connection reset, as a policy decides.
 */
import * as http from "node:http"
import type { AddressInfo } from "node:net"

/** What the proxy does with one request. */
export type ProxyAction = "pass" | "503" | "reset"

/** A request as the policy sees it. */
export interface ProxiedRequest {
  readonly n: number
  readonly method: string
  readonly url: string
}

/** A running proxy. */
export interface FlakyProxy {
  readonly endpoint: string
  /** Every request seen, with what was done to it. */
  readonly log: ReadonlyArray<ProxiedRequest & { readonly action: ProxyAction }>
  readonly close: () => Promise<void>
}

const SLOW_DOWN = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>ServiceUnavailable</Code><Message>Injected failure.</Message></Error>`

/** Start a proxy to `target` (an http://127.0.0.1:port URL). */
export const startFlakyProxy = async (target: string, policy: (req: ProxiedRequest) => ProxyAction): Promise<FlakyProxy> => {
  const to = new URL(target)
  const log: Array<ProxiedRequest & { readonly action: ProxyAction }> = []
  const agent = new http.Agent({ keepAlive: false })
  const server = http.createServer((req, res) => {
    const seen: ProxiedRequest = { n: log.length, method: req.method ?? "GET", url: req.url ?? "/" }
    const action = policy(seen)
    log.push({ ...seen, action })
    if (action === "reset") {
      req.socket.destroy()
      return
    }
    if (action === "503") {
      req.resume()
      req.on("end", () => {
        res.writeHead(503, { "content-type": "application/xml", connection: "close" })
        res.end(SLOW_DOWN)
      })
      return
    }
    const upstream = http.request(
      { host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers, agent },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers)
        up.pipe(res)
      }
    )
    upstream.on("error", () => req.socket.destroy())
    req.pipe(upstream)
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo
  return {
    endpoint: `http://127.0.0.1:${port}`,
    log,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
        agent.destroy()
      })
  }
}
