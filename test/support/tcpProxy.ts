/**
 * A loopback TCP proxy (to Postgres, by default) that a test can cut and restore, to simulate
 * a database outage without touching the server: while cut, open connections are reset and
 * new ones are accepted and reset at once, as a restarting server does; restored, it passes
 * traffic again on the same port.
 */
import * as net from "node:net"

/** A running proxy. */
export interface TcpProxy {
  readonly port: number
  /** `url` with its host and port replaced by the proxy's. */
  readonly through: (url: string) => string
  /** Reset every open connection and refuse new ones until `restore`. */
  readonly cut: () => void
  readonly restore: () => void
  readonly close: () => Promise<void>
}

/** Start a proxy to `port` on 127.0.0.1 (default 5432). */
export const startTcpProxy = async (targetPort = 5432): Promise<TcpProxy> => {
  const sockets = new Set<net.Socket>()
  let cut = false
  const server = net.createServer((client) => {
    if (cut) {
      client.destroy()
      return
    }
    const upstream = net.connect(targetPort, "127.0.0.1")
    sockets.add(client).add(upstream)
    client.pipe(upstream).pipe(client)
    const close = () => {
      client.destroy()
      upstream.destroy()
      sockets.delete(client)
      sockets.delete(upstream)
    }
    client.on("error", close).on("close", close)
    upstream.on("error", close).on("close", close)
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const port = (server.address() as net.AddressInfo).port
  return {
    port,
    through: (url) => {
      const u = new URL(url)
      u.hostname = "127.0.0.1"
      u.port = String(port)
      return u.toString()
    },
    cut: () => {
      cut = true
      for (const s of sockets) s.destroy()
      sockets.clear()
    },
    restore: () => {
      cut = false
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      })
  }
}
