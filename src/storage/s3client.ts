/**
 * The S3 client Lamina talks through: one `S3Client` per store, every call wrapped so that
 * transient failures (network errors, throttling, 5xx) are retried with jittered exponential
 * backoff and every other failure becomes a `StorageError` saying what to fix.
 *
 * Credentials come only from the AWS SDK's standard provider chain (environment, shared
 * config/credentials files, SSO, web identity, instance/container roles). They are never passed
 * in settings, logged, or put into an error: errors keep a sanitized cause (name, code, HTTP
 * status), not the SDK's raw exception.
 *
 * @module
 */
import { S3Client } from "@aws-sdk/client-s3"
import { Duration, Effect, Schedule } from "effect"
import { StorageError } from "../errors.js"
import { asOwnWork } from "./ownWork.js"
import type { S3Location } from "./s3uri.js"

/** How S3 calls are retried. */
export interface RetryPolicy {
  /** Attempts in total, the first included. Default 5 (`LAMINA_S3_MAX_ATTEMPTS`). */
  readonly attempts: number
  /** Delay before the first retry; doubles each time, with jitter. Default 200 ms (`LAMINA_S3_RETRY_BASE_MS`). */
  readonly baseDelayMs: number
}

/** Connection settings of an S3 store. Never credentials. */
export interface S3ClientConfig {
  readonly endpoint?: string
  readonly region?: string
  readonly forcePathStyle?: boolean
  readonly retry?: Partial<RetryPolicy>
}

/** A connected client plus the retrying, error-mapping way to call it. */
export interface S3Api {
  readonly client: S3Client
  readonly location: S3Location
  /** Endpoint as shown in messages ("AWS S3" when none is set). */
  readonly endpointName: string
  /**
   * Run one S3 request; `what` and `target` name it in errors ("Uploading", "s3://b/k").
   * The request is aborted when the fiber is interrupted.
   */
  readonly call: <A>(
    what: string,
    target: string,
    request: (signal: AbortSignal) => Promise<A>,
    options?: { readonly notFound?: "NoSuchBucket" | "NoSuchKey" }
  ) => Effect.Effect<A, StorageError>
  /** Like `call`, but a 404 (missing object) yields `undefined`. */
  readonly callOptional: <A>(
    what: string,
    target: string,
    request: (signal: AbortSignal) => Promise<A>
  ) => Effect.Effect<A | undefined, StorageError>
}

/** What Lamina keeps of an SDK failure: enough to diagnose, nothing secret. */
export interface S3FailureInfo {
  readonly name: string
  readonly code?: string
  readonly status?: number
  readonly message: string
}

const fieldOf = (e: unknown, k: string): unknown =>
  typeof e === "object" && e !== null && k in e ? (e as Record<string, unknown>)[k] : undefined

/** Sanitize an SDK or network error. */
export const failureInfo = (e: unknown): S3FailureInfo => {
  const meta = fieldOf(e, "$metadata")
  const status = fieldOf(meta, "httpStatusCode")
  const code = fieldOf(e, "Code") ?? fieldOf(e, "code")
  const name = fieldOf(e, "name")
  return {
    name: typeof name === "string" ? name : "Error",
    ...(typeof code === "string" ? { code } : {}),
    ...(typeof status === "number" ? { status } : {}),
    message: e instanceof Error ? e.message : String(e)
  }
}

const NETWORK = new Set(["ECONNRESET", "ECONNREFUSED", "ETIMEDOUT", "EPIPE", "EAI_AGAIN", "ECONNABORTED", "ENETUNREACH", "EHOSTUNREACH", "ENETDOWN", "EHOSTDOWN", "UND_ERR_SOCKET"])
const TRANSIENT_NAMES = new Set([
  "RequestTimeout",
  "RequestTimeoutException",
  "TimeoutError",
  "SlowDown",
  "Throttling",
  "ThrottlingException",
  "ServiceUnavailable",
  "InternalError",
  "BadDigest",
  "IncompleteBody",
  "XAmzContentSHA256Mismatch"
])

/** True for failures worth retrying: network errors, throttling, server errors. */
export const isTransient = (info: S3FailureInfo): boolean => {
  if (info.name === "AbortError") return false
  if (info.code !== undefined && NETWORK.has(info.code)) return true
  if (TRANSIENT_NAMES.has(info.name) || (info.code !== undefined && TRANSIENT_NAMES.has(info.code))) return true
  if (info.status !== undefined) return info.status >= 500 || info.status === 429 || info.status === 408
  return /socket hang up|ECONNRESET|EPIPE|premature close|aborted|network/i.test(info.message)
}

const isNotFound = (info: S3FailureInfo) =>
  info.status === 404 || info.name === "NotFound" || info.name === "NoSuchKey" || info.name === "NoSuchBucket"

/** The user-facing explanation of a failure: what went wrong and what to do. */
const explain = (info: S3FailureInfo, loc: S3Location, endpointName: string, notFound: "NoSuchBucket" | "NoSuchKey", target: string): string => {
  const tag = info.code ?? info.name
  if (info.name === "NoSuchBucket" || tag === "NoSuchBucket" || (notFound === "NoSuchBucket" && isNotFound(info)))
    return `bucket '${loc.bucket}' does not exist at ${endpointName}. Create it, or fix the storage root (s3://bucket/prefix) and --s3-endpoint.`
  if (isNotFound(info)) return `'${target}' does not exist in S3: it was deleted or moved outside Lamina.`
  if (/CredentialsProviderError/.test(info.name) || /Could not load credentials/i.test(info.message))
    return "no AWS credentials found. Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE (~/.aws/credentials), or run where an instance/container role is available."
  if (
    info.status === 403 ||
    ["InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "InvalidToken", "ExpiredToken", "TokenRefreshRequired", "AllAccessDisabled"].includes(tag)
  )
    return `S3 refused the credentials (${tag === "Unknown" ? "403 Forbidden" : tag}). Check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE, and that this identity may read and write bucket '${loc.bucket}'.`
  if (/Region is missing/i.test(info.message))
    return "no AWS region is set. Pass --s3-region (or s3.region), or set AWS_REGION."
  if (info.code !== undefined && NETWORK.has(info.code))
    return `cannot reach the S3 endpoint ${endpointName} (${info.code}). Check --s3-endpoint, the network, and that the server is running.`
  if (info.code === "ENOTFOUND")
    return `the S3 endpoint ${endpointName} does not resolve (ENOTFOUND). Check --s3-endpoint and DNS.`
  if (info.name === "PreconditionFailed" || info.status === 412)
    return `'${target}' changed in S3 while Lamina was reading it. Retry; if it keeps happening, something else is rewriting the object.`
  return `${tag}${info.status ? ` (HTTP ${info.status})` : ""}: ${info.message}`
}

const envNumber = (name: string): number | undefined => {
  const v = Number(process.env[name])
  return process.env[name] !== undefined && Number.isFinite(v) && v >= 0 ? v : undefined
}

/** Defaults, overridable with `LAMINA_S3_MAX_ATTEMPTS` and `LAMINA_S3_RETRY_BASE_MS`. */
const defaultRetry = (): RetryPolicy => ({
  attempts: Math.max(1, Math.floor(envNumber("LAMINA_S3_MAX_ATTEMPTS") ?? 5)),
  baseDelayMs: envNumber("LAMINA_S3_RETRY_BASE_MS") ?? 200
})

/** The SDK client for `config`; the SDK's own retries are off (Lamina retries per request). */
export const makeClient = (config: S3ClientConfig): S3Client => {
  // Node 20 is this project's pinned runtime (DESIGN.md); silence the SDK's Node 22 notice.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true"
  const client = new S3Client({
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    region: config.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? "us-east-1",
    forcePathStyle: config.forcePathStyle ?? config.endpoint !== undefined,
    maxAttempts: 1,
    // Lamina checks whole-content md5 itself and sends Content-MD5 per request; the SDK's
    // default CRC32 trailers are not understood by every S3-compatible server.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED"
  })
  // Its requests are Lamina's own work, not the reads of the step body saving or loading (ownWork.ts).
  const send = client.send
  Object.defineProperty(client, "send", { value: (...args: Array<unknown>): unknown => asOwnWork(() => Reflect.apply(send, client, args)) })
  return client
}

/** Wrap a client into an `S3Api` for `location`. */
export const makeApi = (client: S3Client, location: S3Location, config: S3ClientConfig): S3Api => {
  const policy: RetryPolicy = { ...defaultRetry(), ...config.retry }
  const endpointName = config.endpoint ?? "AWS S3"
  const schedule = Schedule.exponential(Duration.millis(policy.baseDelayMs), 2).pipe(
    Schedule.jittered,
    Schedule.intersect(Schedule.recurs(Math.max(0, policy.attempts - 1)))
  )
  const attempt = <A>(request: (signal: AbortSignal) => Promise<A>) =>
    Effect.tryPromise({ try: (signal) => request(signal), catch: failureInfo })
  const retried = <A>(request: (signal: AbortSignal) => Promise<A>) =>
    attempt(request).pipe(Effect.retry({ schedule, while: isTransient }))
  const toError = (what: string, target: string, notFound: "NoSuchBucket" | "NoSuchKey") => (info: S3FailureInfo) =>
    new StorageError({
      message: `${what} '${target}' failed${isTransient(info) ? ` after ${policy.attempts} attempts` : ""}: ${explain(info, location, endpointName, notFound, target)}`,
      path: target,
      cause: info
    })
  return {
    client,
    location,
    endpointName,
    call: (what, target, request, options) =>
      retried(request).pipe(Effect.mapError(toError(what, target, options?.notFound ?? "NoSuchKey"))),
    callOptional: (what, target, request) =>
      retried(request).pipe(
        Effect.catchIf(
          (info) => isNotFound(info) && info.name !== "NoSuchBucket" && info.code !== "NoSuchBucket",
          () => Effect.succeed(undefined)
        ),
        Effect.mapError(toError(what, target, "NoSuchKey"))
      )
  }
}
