/** The Runs page: status, duration, transform and params as columns; generic filters incl. `params__…`. */
import type { RunPage } from "../../api/types.js"
import { useApi } from "../api.js"
import { FilterEditor, Pager, RunTable, Show } from "../components.js"
import { navigate, withQuery } from "../router.js"

const STATUSES = ["", "started", "completed", "cached", "errored", "aborted", "scheduled"]

export const RunsPage = (props: { readonly query: URLSearchParams; readonly stamp: string }) => {
  const { query } = props
  const filters = query.getAll("filter")
  const status = filters.find((f) => f.startsWith("status="))?.slice("status=".length) ?? ""
  const rest = filters.filter((f) => !f.startsWith("status="))
  const trail = (query.get("trail") ?? "").split(",").filter((c) => c !== "")
  const api = new URLSearchParams()
  for (const f of filters) api.append("filter", f)
  if (query.get("sort")) api.set("sort", query.get("sort")!)
  if (trail.length > 0) api.set("after", trail[trail.length - 1]!)
  const loaded = useApi<RunPage>("/api/runs", api, api.toString() + (trail.length === 0 ? props.stamp : ""))
  const setFilters = (s: string, others: ReadonlyArray<string>) => navigate(withQuery(query, { filter: [...(s === "" ? [] : [`status=${s}`]), ...others], trail: undefined }))
  return (
    <div>
      <h1>
        Runs <span class="live">live</span>
      </h1>
      <div class="toolbar">
        <label>
          status
          <select class="status-select" value={status} onChange={(e) => setFilters(e.currentTarget.value, rest)}>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s === "" ? "any" : s}
              </option>
            ))}
          </select>
        </label>
        <label>
          sort
          <select value={query.get("sort") ?? "-id"} onChange={(e) => navigate(withQuery(query, { sort: e.currentTarget.value, trail: undefined }))}>
            <option value="-id">newest first</option>
            <option value="id">oldest first</option>
            <option value="-started_at">started (latest)</option>
            <option value="-finished_at">finished (latest)</option>
          </select>
        </label>
      </div>
      <FilterEditor key={rest.join("\n")} filters={rest} placeholder="e.g. params__learning_rate__lte=0.05, transform__key__contains=train" onApply={(next) => setFilters(status, next)} />
      <Show loaded={loaded}>
        {(page) => (
          <>
            <RunTable items={page.items} paramKeys={page.paramKeys} empty="No runs match." />
            <Pager next={page.next} trail={trail} count={page.items.length} go={(_a, t) => navigate(withQuery(query, { trail: t.join(",") }))} />
          </>
        )}
      </Show>
    </div>
  )
}
