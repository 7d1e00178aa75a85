/**
 * Small HTTP helpers shared by the UI's API handlers: JSON responses, typed errors turned into
 * status codes with their message, and query-string readers that fail with `InvalidArgument`.
 *
 * @module
 */
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Effect } from "effect"
import { InvalidArgument, type LaminaError } from "../index.js"

/** A JSON response; bigints become strings (Arrow cells, large sizes). */
export const json = (value: unknown, status = 200): HttpServerResponse.HttpServerResponse =>
  HttpServerResponse.text(JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v)), {
    status,
    contentType: "application/json; charset=utf-8"
  })

/** The status code of a typed error. */
export const statusOf = (e: LaminaError): number => {
  switch (e._tag) {
    case "InvalidArgument":
      return 400
    case "DoesNotExist":
      return 404
    case "MultipleResultsFound":
      return 409
    case "ValidationError":
      return 422
    case "IntegrityError":
    case "StorageError":
      return 500
  }
}

/** `{ error: { tag, message } }` with the error's status. */
export const errorResponse = (e: LaminaError): HttpServerResponse.HttpServerResponse => json({ error: { tag: e._tag, message: e.message } }, statusOf(e))

/** Run an API handler: typed failures become JSON error responses. */
export const api = <R>(handler: Effect.Effect<HttpServerResponse.HttpServerResponse, LaminaError, R>) =>
  Effect.catchAll(handler, (e) => Effect.succeed(errorResponse(e)))

/** The request's query string. */
export const query = Effect.map(HttpServerRequest.HttpServerRequest, (req) => new URL(req.url, "http://lamina.invalid").searchParams)

/** One query parameter, if given. */
export const param = (params: URLSearchParams, name: string): string | undefined => {
  const v = params.get(name)
  return v === null || v === "" ? undefined : v
}

/** A whole-number query parameter within bounds (default when absent). */
export const intParam = (params: URLSearchParams, name: string, fallback: number, min: number, max: number): Effect.Effect<number, InvalidArgument> => {
  const raw = param(params, name)
  if (raw === undefined) return Effect.succeed(fallback)
  const n = Number(raw)
  return Number.isInteger(n) && n >= min && n <= max
    ? Effect.succeed(n)
    : Effect.fail(new InvalidArgument({ message: `'${name}' must be a whole number from ${min} to ${max}, got '${raw}'.` }))
}
