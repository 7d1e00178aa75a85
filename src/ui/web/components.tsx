/** Shared pieces of the pages: links, status badges, tables of artifacts and runs, filters. */
import type { ComponentChildren } from "preact"
import { useState } from "preact/hooks"
import type { ArtifactItem, RunItem } from "../api/types.js"
import type { Loaded } from "./api.js"
import { formatDate, formatDuration, formatSize, formatValue } from "./format.js"
import { navigate } from "./router.js"

/** An in-app link (no page reload). */
export const Link = (props: { readonly href: string; readonly children: ComponentChildren; readonly class?: string; readonly title?: string }) => (
  <a
    href={props.href}
    class={props.class}
    title={props.title}
    onClick={(e) => {
      if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return
      e.preventDefault()
      navigate(props.href)
    }}
  >
    {props.children}
  </a>
)

/** A run status badge. */
export const Status = (props: { readonly status: string }) => <span class={`status ${props.status}`}>{props.status}</span>

/** Loading, an error, or the page. */
export const Show = <A,>(props: { readonly loaded: Loaded<A>; readonly children: (data: A) => ComponentChildren }) =>
  props.loaded.state === "loading" ? <p class="loading">Loading…</p> : props.loaded.state === "error" ? <div class="error">{props.loaded.message}</div> : <>{props.children(props.loaded.data)}</>

/** Label/value rows. */
export const Fields = (props: { readonly rows: ReadonlyArray<readonly [string, ComponentChildren]> }) => (
  <table class="fields">
    <tbody>
      {props.rows.map(([k, v]) => (
        <tr key={k}>
          <td>{k}</td>
          <td>{v}</td>
        </tr>
      ))}
    </tbody>
  </table>
)

/** An artifact's display name. */
export const artifactName = (a: Pick<ArtifactItem, "key" | "description" | "uid">): string => a.key ?? a.description ?? a.uid

/** A table of artifacts. */
export const ArtifactTable = (props: { readonly items: ReadonlyArray<ArtifactItem>; readonly empty?: string }) =>
  props.items.length === 0 ? (
    <p class="muted">{props.empty ?? "No artifacts."}</p>
  ) : (
    <table class="grid artifacts">
      <thead>
        <tr>
          <th>key</th>
          <th>description</th>
          <th>suffix</th>
          <th class="num">size</th>
          <th>version</th>
          <th>created</th>
          <th>by</th>
        </tr>
      </thead>
      <tbody>
        {props.items.map((a) => (
          <tr key={a.uid}>
            <td>
              <Link href={`/artifacts/${a.uid}`} class="artifact-link">
                {a.key ?? a.uid}
              </Link>
              {a.otype !== null && <span class="badge">{a.otype}</span>}
              {a.branch === -1 && <span class="badge">trash</span>}
            </td>
            <td>{a.description ?? ""}</td>
            <td class="mono">{a.suffix}</td>
            <td class="num">{formatSize(a.size)}</td>
            <td class="mono">
              {a.version}
              {a.is_latest ? "" : " (old)"}
            </td>
            <td class="mono">{formatDate(a.created_at)}</td>
            <td>{a.created_by ?? ""}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )

/** A table of runs, with the given param keys as columns. */
export const RunTable = (props: { readonly items: ReadonlyArray<RunItem>; readonly paramKeys?: ReadonlyArray<string>; readonly empty?: string }) => {
  const keys = props.paramKeys ?? []
  return props.items.length === 0 ? (
    <p class="muted">{props.empty ?? "No runs."}</p>
  ) : (
    <table class="grid runs">
      <thead>
        <tr>
          <th>run</th>
          <th>transform</th>
          <th>status</th>
          <th>started</th>
          <th class="num">duration</th>
          {keys.map((k) => (
            <th key={k} class="param">
              {k}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {props.items.map((r) => (
          <tr key={r.uid}>
            <td>
              <Link href={`/runs/${r.uid}`} class="run-link">
                {r.name ?? r.uid}
              </Link>
              <div class="mono muted">{r.uid}</div>
            </td>
            <td>{r.transform === null ? "–" : <Link href={`/sweep?transform=${r.transform.uid}`}>{r.transform.key ?? r.transform.uid}</Link>}</td>
            <td>
              <Status status={r.status} />
            </td>
            <td class="mono">{formatDate(r.started_at)}</td>
            <td class="num">{formatDuration(r.duration_ms)}</td>
            {keys.map((k) => (
              <td key={k} class="mono">
                {formatValue(r.params[k])}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  )
}

/** A JSON value, pretty-printed. */
export const Json = (props: { readonly value: unknown }) => <pre>{JSON.stringify(props.value, null, 2)}</pre>

/**
 * Generic filters in the CLI's language: one `key__lookup=value` per row (values parse as
 * JSON when they can). Any field the server knows works, including ones added later.
 */
export const FilterEditor = (props: { readonly filters: ReadonlyArray<string>; readonly onApply: (filters: ReadonlyArray<string>) => void; readonly placeholder: string }) => {
  const [rows, setRows] = useState<ReadonlyArray<string>>(props.filters.length === 0 ? [""] : props.filters)
  const apply = (next: ReadonlyArray<string>) => props.onApply(next.map((r) => r.trim()).filter((r) => r !== ""))
  return (
    <div class="filters card">
      <div class="muted" style={{ marginBottom: "4px" }}>
        Filters (<span class="mono">field__lookup=value</span>, like <span class="mono">lamina ls --filter</span>)
      </div>
      {rows.map((r, i) => (
        <div class="row" key={i}>
          <input
            class="filter-input mono"
            value={r}
            placeholder={props.placeholder}
            onInput={(e) => setRows(rows.map((x, j) => (j === i ? e.currentTarget.value : x)))}
            onKeyDown={(e) => e.key === "Enter" && apply(rows)}
          />
          <button onClick={() => setRows(rows.length === 1 ? [""] : rows.filter((_, j) => j !== i))} title="remove">
            ×
          </button>
        </div>
      ))}
      <div class="toolbar" style={{ marginTop: "6px", marginBottom: 0 }}>
        <button onClick={() => setRows([...rows, ""])}>+ filter</button>
        <button class="primary apply-filters" onClick={() => apply(rows)}>
          Apply
        </button>
      </div>
    </div>
  )
}

/** Previous/next buttons over keyset cursors (the trail of earlier cursors lives in the URL). */
export const Pager = (props: { readonly next: string | null; readonly trail: ReadonlyArray<string>; readonly go: (after: string | undefined, trail: ReadonlyArray<string>) => void; readonly count: number }) => (
  <div class="pager">
    <button disabled={props.trail.length === 0} onClick={() => props.go(props.trail.length > 1 ? props.trail[props.trail.length - 2] : undefined, props.trail.slice(0, -1))}>
      ← Previous
    </button>
    <button class="next-page" disabled={props.next === null} onClick={() => props.next !== null && props.go(props.next, [...props.trail, props.next])}>
      Next →
    </button>
    <span class="muted">
      page {props.trail.length + 1} · {props.count} shown
    </span>
  </div>
)
