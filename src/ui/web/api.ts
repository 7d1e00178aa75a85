/** Fetching the server's JSON API, and a hook that loads data for a page. */
import { useEffect, useState } from "preact/hooks"

/** A failed API call, with the server's message. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number
  ) {
    super(message)
  }
}

/** GET `/api/...` as JSON (the token cookie, if any, goes along by itself). */
export const get = async <A>(path: string, params?: URLSearchParams): Promise<A> => {
  const url = params === undefined || [...params.keys()].length === 0 ? path : `${path}?${params.toString()}`
  const res = await fetch(url, { headers: { accept: "application/json" }, credentials: "same-origin" })
  const text = await res.text()
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    throw new ApiError(`${res.status} ${res.statusText}: ${text.slice(0, 200)}`, res.status)
  }
  if (!res.ok) {
    const message = (body as { error?: { message?: string } }).error?.message ?? `${res.status} ${res.statusText}`
    throw new ApiError(message, res.status)
  }
  return body as A
}

/** What a page's data is: loading, loaded, or failed. */
export type Loaded<A> = { readonly state: "loading" } | { readonly state: "ok"; readonly data: A } | { readonly state: "error"; readonly message: string }

/**
 * Load `path` whenever `key` changes; a reload (live updates) keeps showing the previous data
 * until the new data arrives.
 */
export const useApi = <A>(path: string | undefined, params: URLSearchParams | undefined, key: string): Loaded<A> => {
  const [loaded, setLoaded] = useState<Loaded<A>>({ state: "loading" })
  useEffect(() => {
    if (path === undefined) return
    let current = true
    get<A>(path, params).then(
      (data) => current && setLoaded({ state: "ok", data }),
      (e: unknown) => current && setLoaded({ state: "error", message: e instanceof Error ? e.message : String(e) })
    )
    return () => {
      current = false
    }
  }, [path, key])
  return loaded
}
