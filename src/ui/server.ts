/**
 * The `lamina ui` server: @effect/platform's HttpServer on Node, serving the built front-end and
 * a read-only JSON API under `/api` over the connected instance.
 *
 * ```ts
 * const ui = yield* startUi({ port: 0 })   // scoped: the server stops with the scope
 * console.log(ui.url)
 * ```
 *
 * @module
 */
import { createServer } from "node:http"
import * as HttpServer from "@effect/platform/HttpServer"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { Effect, type Scope } from "effect"
import { InvalidArgument, type Lamina, type LaminaError } from "../index.js"
import { artifactDetail, getArtifact, listArtifacts } from "./api/artifacts.js"
import { download, preview } from "./api/content.js"
import { lineageOf } from "./api/lineage.js"
import { changes, filterFields, info, listTransforms, searchAll, transformDetail } from "./api/misc.js"
import { annotationChoices } from "./api/annotations.js"
import { listRuns, runDetail, whyOf } from "./api/runs.js"
import { sweepOf } from "./api/sweep.js"
import { loadAssets, type Assets } from "./assets.js"
import { api, json } from "./http.js"
import { guarded, isLoopback, loopbackHosts, newToken } from "./security.js"

/** Options of the UI server. */
export interface UiOptions {
  /** Port (default 4873; 0 picks a free one). */
  readonly port?: number
  /** Interface to bind (default 127.0.0.1). Any non-loopback host requires a token. */
  readonly host?: string
  /** The token to require (default: a random one when the host is not loopback). */
  readonly token?: string
  /** Where the built front-end is (default: the package's `dist/ui`). */
  readonly assetsDir?: string
}

/** A running UI server. */
export interface RunningUi {
  /** The address to open (with `?token=…` when a token is required). */
  readonly url: string
  readonly host: string
  readonly port: number
  readonly token: string | undefined
}

type Handler = (match: RegExpMatchArray, params: URLSearchParams) => Effect.Effect<HttpServerResponse.HttpServerResponse, LaminaError, Lamina.Lamina>

const ok = <A, R>(effect: Effect.Effect<A, LaminaError, R>) => Effect.map(effect, (value) => json(value))

/** The API routes: a path pattern and its handler (GET only; the guard refuses other methods). */
const routes: ReadonlyArray<readonly [RegExp, Handler]> = [
  [/^\/api\/info$/, () => ok(info)],
  [/^\/api\/changes$/, () => ok(changes)],
  [/^\/api\/artifacts$/, (_, p) => ok(listArtifacts(p))],
  [/^\/api\/artifacts\/([^/]+)$/, (m) => ok(artifactDetail(m[1]!))],
  [/^\/api\/artifacts\/([^/]+)\/preview$/, (m) => ok(Effect.flatMap(getArtifact(m[1]!), (a) => preview(a, `/api/artifacts/${a.uid}/download?inline=1`)))],
  [/^\/api\/artifacts\/([^/]+)\/download$/, (m, p) => Effect.flatMap(getArtifact(m[1]!), (a) => download(a, p.get("inline") === "1"))],
  [/^\/api\/runs$/, (_, p) => ok(listRuns(p))],
  [/^\/api\/runs\/([^/]+)$/, (m) => ok(runDetail(m[1]!))],
  [/^\/api\/runs\/([^/]+)\/why$/, (m) => ok(whyOf(m[1]!))],
  [/^\/api\/transforms$/, (_, p) => ok(listTransforms(p))],
  [/^\/api\/transforms\/([^/]+)$/, (m) => ok(transformDetail(m[1]!))],
  [/^\/api\/lineage$/, (_, p) => ok(lineageOf(p))],
  [/^\/api\/search$/, (_, p) => ok(searchAll(p))],
  [/^\/api\/filters$/, (_, p) => ok(filterFields(p))],
  [/^\/api\/annotations$/, (_, p) => ok(annotationChoices(p))],
  [/^\/api\/sweep$/, (_, p) => ok(sweepOf(p))]
]

const notFound = (what: string) => json({ error: { tag: "NotFound", message: `${what} does not exist.` } }, 404)

const serveAsset = (assets: Assets, pathname: string): HttpServerResponse.HttpServerResponse => {
  if (pathname.startsWith("/assets/")) {
    const asset = assets.files.get(pathname.slice("/assets/".length))
    return asset === undefined ? notFound(`The file '${pathname}'`) : HttpServerResponse.uint8Array(asset.body, { contentType: asset.contentType })
  }
  // Every other path is a page of the single-page app.
  return HttpServerResponse.uint8Array(assets.index.body, { contentType: assets.index.contentType })
}

/** The whole app: API routes, then the front-end. */
export const makeApp = (assets: Assets) =>
  Effect.gen(function* () {
    const req = yield* HttpServerRequest.HttpServerRequest
    const url = new URL(req.url, "http://lamina.invalid")
    let pathname: string
    try {
      pathname = decodeURIComponent(url.pathname)
    } catch {
      return json({ error: { tag: "InvalidArgument", message: "The path is not valid URL encoding." } }, 400)
    }
    if (!pathname.startsWith("/api/") && pathname !== "/api") return serveAsset(assets, pathname)
    for (const [pattern, handler] of routes) {
      const m = pathname.match(pattern)
      if (m !== null) return yield* api(handler(m, url.searchParams))
    }
    return notFound(`The API endpoint '${pathname}'`)
  })

/** Start the UI server in the current scope. */
export const startUi = (options: UiOptions = {}): Effect.Effect<RunningUi, LaminaError, Lamina.Lamina | Scope.Scope> =>
  Effect.gen(function* () {
    const host = options.host ?? "127.0.0.1"
    const port = options.port ?? 4873
    if (!Number.isInteger(port) || port < 0 || port > 65535) return yield* new InvalidArgument({ message: `--port must be a whole number from 0 to 65535, got ${port}.` })
    if (host.trim() === "") return yield* new InvalidArgument({ message: "--host needs an address, e.g. 127.0.0.1 or 0.0.0.0." })
    const loopback = isLoopback(host)
    const token = options.token ?? (loopback ? undefined : newToken())
    const assets = yield* loadAssets(options.assetsDir)
    const server = yield* NodeHttpServer.make(() => createServer(), { host: host.replace(/^\[|\]$/g, ""), port }).pipe(
      Effect.mapError((e) => new InvalidArgument({ message: `Cannot listen on ${host}:${port}: ${String(e.cause ?? e)}. Pick another --port or --host.` }))
    )
    const address = server.address
    const bound = address._tag === "TcpAddress" ? address.port : port
    const app = guarded({ token, hosts: loopback ? loopbackHosts(host, bound) : undefined })(makeApp(assets))
    yield* HttpServer.serveEffect(app).pipe(Effect.provideService(HttpServer.HttpServer, server), Effect.provide(NodeHttpServer.layerContext))
    const shown = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host
    return { url: `http://${shown}:${bound}/${token === undefined ? "" : `?token=${token}`}`, host, port: bound, token }
  })
