/** The Artifacts page: ranked search, quick, feature, label and generic filters, sort, keyset pages. */
import { useEffect, useState } from "preact/hooks"
import type { ArtifactItem, Page } from "../../api/types.js"
import { useApi } from "../api.js"
import { AnnotationFilters } from "../annotationFilters.js"
import { ArtifactTable, FilterEditor, Pager, Show } from "../components.js"
import { navigate, withQuery } from "../router.js"

const QUICK: ReadonlyArray<readonly [string, string, string]> = [
  ["key__startswith", "key prefix", "raw/"],
  ["suffix", "suffix", ".csv"],
  ["otype", "otype", "DataFrame"],
  ["created_by__handle", "created by", "handle"],
  ["created_at__gte", "created on or after", "2025-01-31"]
]

const SORTS: ReadonlyArray<readonly [string, string]> = [
  ["-id", "newest first"],
  ["id", "oldest first"],
  ["key", "key A→Z"],
  ["-key", "key Z→A"],
  ["-size", "largest first"],
  ["size", "smallest first"],
  ["-created_at", "created (newest)"],
  ["created_at", "created (oldest)"]
]

/** Split `filter` params into the quick ones (by key) and the rest. */
const splitFilters = (all: ReadonlyArray<string>) => {
  const quick = new Map<string, string>()
  const rest: Array<string> = []
  for (const f of all) {
    const eq = f.indexOf("=")
    const k = f.slice(0, eq)
    if (eq > 0 && QUICK.some(([q]) => q === k) && !quick.has(k)) quick.set(k, f.slice(eq + 1))
    else rest.push(f)
  }
  return { quick, rest }
}

export const ArtifactsPage = (props: { readonly query: URLSearchParams; readonly stamp: string }) => {
  const { query } = props
  const q = query.get("q") ?? ""
  const filters = query.getAll("filter")
  const { quick, rest } = splitFilters(filters)
  const trail = (query.get("trail") ?? "").split(",").filter((c) => c !== "")
  const api = new URLSearchParams()
  if (q !== "") api.set("q", q)
  for (const f of filters) api.append("filter", f)
  if (query.get("sort")) api.set("sort", query.get("sort")!)
  if (query.get("versions") === "all") api.set("versions", "all")
  if (trail.length > 0 && q === "") api.set("after", trail[trail.length - 1]!)
  // Live: only the first page follows new artifacts (later pages keep their place).
  const loaded = useApi<Page<ArtifactItem>>("/api/artifacts", api, api.toString() + (trail.length === 0 ? props.stamp : ""))
  const [text, setText] = useState(q)
  const [quickValues, setQuickValues] = useState<Readonly<Record<string, string>>>(Object.fromEntries(quick))
  // Back/forward and links change the URL: the inputs follow it.
  const quickKey = [...quick.entries()].map(([k, v]) => `${k}=${v}`).join("&")
  useEffect(() => setText(q), [q])
  useEffect(() => setQuickValues(Object.fromEntries(quick)), [quickKey])
  const setFilters = (quickNext: Readonly<Record<string, string>>, restNext: ReadonlyArray<string>) =>
    navigate(withQuery(query, { filter: [...Object.entries(quickNext).filter(([, v]) => v !== "").map(([k, v]) => `${k}=${v}`), ...restNext], trail: undefined }))
  return (
    <div>
      <h1>Artifacts</h1>
      <div class="toolbar">
        <input
          class="search-input"
          type="search"
          placeholder="Search keys and descriptions"
          value={text}
          style={{ width: "320px" }}
          onInput={(e) => setText(e.currentTarget.value)}
          onKeyDown={(e) => e.key === "Enter" && navigate(withQuery(query, { q: text.trim(), trail: undefined }))}
        />
        <button class="primary search-button" onClick={() => navigate(withQuery(query, { q: text.trim(), trail: undefined }))}>
          Search
        </button>
        <label>
          sort
          <select class="sort-select" value={query.get("sort") ?? "-id"} disabled={q !== ""} onChange={(e) => navigate(withQuery(query, { sort: e.currentTarget.value, trail: undefined }))}>
            {SORTS.map(([v, label]) => (
              <option key={v} value={v}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <label style={{ flexDirection: "row", alignItems: "center", gap: "4px" }}>
          <input type="checkbox" checked={query.get("versions") === "all"} onChange={(e) => navigate(withQuery(query, { versions: e.currentTarget.checked ? "all" : undefined, trail: undefined }))} />
          all versions
        </label>
      </div>
      <div class="toolbar quick-filters">
        {QUICK.map(([k, label, placeholder]) => (
          <label key={k}>
            {label}
            <input
              name={k}
              value={quickValues[k] ?? ""}
              placeholder={placeholder}
              onInput={(e) => setQuickValues({ ...quickValues, [k]: e.currentTarget.value })}
              onKeyDown={(e) => e.key === "Enter" && setFilters(quickValues, rest)}
            />
          </label>
        ))}
        <button onClick={() => setFilters(quickValues, rest)}>Filter</button>
      </div>
      <AnnotationFilters filters={rest} onAdd={(f) => setFilters(quickValues, rest.includes(f) ? rest : [...rest, f])} onRemove={(f) => setFilters(quickValues, rest.filter((x) => x !== f))} />
      <FilterEditor key={rest.join("\n")} filters={rest} placeholder="e.g. size__gt=1000, run__transform__key__contains=clean" onApply={(next) => setFilters(quickValues, next)} />
      {q !== "" && (
        <p class="muted">
          Ranked search for “{q}” <a href={withQuery(query, { q: undefined })} onClick={(e) => (e.preventDefault(), setText(""), navigate(withQuery(query, { q: undefined })))}>clear</a>
        </p>
      )}
      <Show loaded={loaded}>
        {(page) => (
          <>
            <ArtifactTable items={page.items} empty="No artifacts match." />
            {q === "" && <Pager next={page.next} trail={trail} count={page.items.length} go={(_after, t) => navigate(withQuery(query, { trail: t.join(",") }))} />}
          </>
        )}
      </Show>
    </div>
  )
}
