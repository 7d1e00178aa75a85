/** A small history-API router: the current path and query, and navigation without reloads. */
import { useEffect, useState } from "preact/hooks"

const listeners = new Set<() => void>()

/** Go to `href` (same origin), adding a history entry. */
export const navigate = (href: string, replace = false): void => {
  if (replace) history.replaceState(null, "", href)
  else history.pushState(null, "", href)
  window.scrollTo(0, 0)
  for (const l of listeners) l()
}

/** The current location, re-rendering on navigation. */
export const useLocation = (): { readonly path: string; readonly query: URLSearchParams; readonly href: string } => {
  const [, setTick] = useState(0)
  useEffect(() => {
    const update = () => setTick((t) => t + 1)
    listeners.add(update)
    window.addEventListener("popstate", update)
    return () => {
      listeners.delete(update)
      window.removeEventListener("popstate", update)
    }
  }, [])
  return { path: location.pathname, query: new URLSearchParams(location.search), href: location.pathname + location.search }
}

/** Replace some query parameters of the current page (undefined or "" removes one). */
export const withQuery = (query: URLSearchParams, changes: Readonly<Record<string, string | ReadonlyArray<string> | undefined>>): string => {
  const next = new URLSearchParams(query)
  for (const [k, v] of Object.entries(changes)) {
    next.delete(k)
    if (typeof v === "string") {
      if (v !== "") next.set(k, v)
    } else if (v !== undefined) for (const x of v) next.append(k, x)
  }
  const s = next.toString()
  return location.pathname + (s === "" ? "" : `?${s}`)
}
