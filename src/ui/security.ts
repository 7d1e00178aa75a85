/**
 * The UI server's guards, applied to every request before routing:
 *
 * - read-only: only GET and HEAD;
 * - bound to loopback (the default): the Host header must name the loopback address it serves,
 *   so a web page elsewhere cannot reach it through DNS rebinding;
 * - bound to any other host: a random token, printed at start, must come with every request
 *   (`Authorization: Bearer`, `X-Lamina-Token`, or the cookie set by opening `/?token=…`);
 * - headers that keep pages from loading anything but the server's own files (CSP), from being
 *   framed, and from sniffing downloads into HTML.
 *
 * @module
 */
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { randomBytes, timingSafeEqual } from "node:crypto"
import { Effect } from "effect"

/** What the guards check. */
export interface Guard {
  /** Required on every request when set. */
  readonly token: string | undefined
  /** Host header values accepted (loopback binding); undefined accepts any. */
  readonly hosts: ReadonlySet<string> | undefined
}

/** The cookie a `?token=` visit sets. */
export const TOKEN_COOKIE = "lamina_token"

/** A fresh random token (32 base64url characters). */
export const newToken = (): string => randomBytes(24).toString("base64url")

/** Whether `host` is a loopback address (or `localhost`). */
export const isLoopback = (host: string): boolean => host === "localhost" || host === "::1" || host === "[::1]" || /^127(\.\d{1,3}){3}$/.test(host)

/** The Host header values a loopback server on `port` answers to. */
export const loopbackHosts = (host: string, port: number): ReadonlySet<string> =>
  new Set([`${host}:${port}`, `127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`])

/** Content Security Policy of every page: the server's own scripts, styles and images only. */
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

const same = (a: string, b: string): boolean => {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

const cookie = (header: string | undefined, name: string): string | undefined =>
  header
    ?.split(";")
    .map((c) => c.trim())
    .find((c) => c.startsWith(`${name}=`))
    ?.slice(name.length + 1)

const refuse = (status: number, message: string) =>
  HttpServerResponse.text(JSON.stringify({ error: { tag: "Forbidden", message } }), { status, contentType: "application/json; charset=utf-8" })

/** Wrap an app with the guards and the security headers. */
export const guarded =
  (guard: Guard) =>
  <E, R>(app: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R | HttpServerRequest.HttpServerRequest>) =>
    Effect.gen(function* () {
      const req = yield* HttpServerRequest.HttpServerRequest
      const response = yield* Effect.gen(function* () {
        if (req.method !== "GET" && req.method !== "HEAD") return refuse(405, "The Lamina UI is read-only: only GET and HEAD requests are served.")
        const host = req.headers["host"]
        if (guard.hosts !== undefined && (host === undefined || !guard.hosts.has(host.toLowerCase())))
          return refuse(421, `This server answers only to ${[...guard.hosts][0]}: open that address.`)
        let setCookie = false
        if (guard.token !== undefined) {
          const url = new URL(req.url, "http://lamina.invalid")
          const bearer = req.headers["authorization"]?.replace(/^Bearer\s+/i, "")
          const fromQuery = url.searchParams.get("token") ?? undefined
          const given = req.headers["x-lamina-token"] ?? bearer ?? cookie(req.headers["cookie"], TOKEN_COOKIE) ?? fromQuery
          if (given === undefined || !same(given, guard.token)) return refuse(401, "This Lamina UI needs its access token: open the URL with ?token=… that 'lamina ui' printed.")
          setCookie = fromQuery !== undefined && same(fromQuery, guard.token)
        }
        const res = yield* app
        return setCookie ? HttpServerResponse.setHeader(res, "set-cookie", `${TOKEN_COOKIE}=${guard.token}; Path=/; HttpOnly; SameSite=Strict`) : res
      })
      const withDefaults = (name: string, value: string) => (r: HttpServerResponse.HttpServerResponse) => (r.headers[name] === undefined ? HttpServerResponse.setHeader(r, name, value) : r)
      return response.pipe(
        withDefaults("content-security-policy", CSP),
        withDefaults("x-content-type-options", "nosniff"),
        withDefaults("x-frame-options", "DENY"),
        withDefaults("referrer-policy", "no-referrer"),
        withDefaults("cache-control", "no-store")
      )
    })
