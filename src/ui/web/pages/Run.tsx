/** The Run page: params, inputs, outputs, environment, error, report, child runs, `why`. */
import type { Preview, RunDetail } from "../../api/types.js"
import { useApi } from "../api.js"
import { ArtifactTable, Fields, Json, Link, RunTable, Show, Status } from "../components.js"
import { formatDate, formatDuration, formatValue } from "../format.js"
import { Markdown } from "../markdown.js"

const TextOf = (props: { readonly uid: string; readonly markdown: boolean }) => {
  const preview = useApi<Preview>(`/api/artifacts/${props.uid}/preview`, undefined, props.uid)
  return (
    <Show loaded={preview}>
      {(p) => (p.kind === "markdown" && props.markdown ? <Markdown text={p.text} /> : p.kind === "text" || p.kind === "markdown" ? <pre>{p.text}</pre> : <p class="muted">No preview.</p>)}
    </Show>
  )
}

export const RunPage = (props: { readonly uid: string; readonly stamp: string }) => {
  const loaded = useApi<RunDetail>(`/api/runs/${encodeURIComponent(props.uid)}`, undefined, props.uid + props.stamp)
  return (
    <Show loaded={loaded}>
      {(d) => {
        const r = d.run
        return (
          <div>
            <h1 class="run-title">
              {r.name ?? r.uid} <Status status={r.status} />
            </h1>
            <div class="toolbar">
              <Link href={`/lineage?target=${r.uid}`} class="lineage-link">
                <button>Lineage</button>
              </Link>
              {r.transform !== null && (
                <Link href={`/sweep?transform=${r.transform.uid}`}>
                  <button>Compare runs of this transform</button>
                </Link>
              )}
            </div>
            <div class="cols">
              <div class="card">
                <Fields
                  rows={[
                    ["uid", <span class="mono">{r.uid}</span>],
                    ["transform", r.transform === null ? "–" : <Link href={`/sweep?transform=${r.transform.uid}`}>{r.transform.key ?? r.transform.uid}</Link>],
                    ["status", <Status status={r.status} />],
                    ["started_at", formatDate(r.started_at)],
                    ["finished_at", formatDate(r.finished_at)],
                    ["duration", formatDuration(r.duration_ms)],
                    ["initiated by", r.initiated_by_run === null ? "–" : <Link href={`/runs/${r.initiated_by_run}`}>{r.initiated_by_run}</Link>],
                    ["reused run", r.reused_run === null ? "–" : <Link href={`/runs/${r.reused_run}`}>{r.reused_run}</Link>],
                    ["cache key", <span class="mono">{r.cache_key ?? "–"}</span>],
                    ["entrypoint", r.entrypoint ?? "–"]
                  ]}
                />
              </div>
              <div class="card">
                <h2 style={{ marginTop: 0 }}>Params</h2>
                {Object.keys(r.params).length === 0 ? (
                  <p class="muted">No params.</p>
                ) : (
                  <table class="grid params">
                    <tbody>
                      {Object.entries(r.params).map(([k, v]) => (
                        <tr key={k}>
                          <td>{k}</td>
                          <td class="mono">{formatValue(v)}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                )}
                {d.why !== null && (
                  <>
                    <h2>Why did it {r.status === "cached" ? "hit the cache" : "run"}?</h2>
                    <div class="why">
                      <p>{d.why.message}</p>
                      <ul>
                        {d.why.changes.map((c, i) => (
                          <li key={i}>
                            <b>{c.component}</b>
                            {c.name !== undefined ? ` ${c.name}` : ""}: {c.detail}
                          </li>
                        ))}
                      </ul>
                      {d.why.closestRun !== undefined && (
                        <p class="muted">
                          Compared with <Link href={`/runs/${d.why.closestRun}`}>{d.why.closestRun}</Link>
                        </p>
                      )}
                    </div>
                  </>
                )}
              </div>
            </div>
            {d.error !== null && (
              <>
                <h2>Error</h2>
                <div class="error run-error">{typeof d.error === "object" && d.error !== null && "message" in d.error ? String((d.error as { message: unknown }).message) : JSON.stringify(d.error, null, 2)}</div>
              </>
            )}
            <h2>Inputs</h2>
            <ArtifactTable items={d.inputs} empty="No input artifacts." />
            <h2>Outputs</h2>
            <ArtifactTable items={d.outputs} empty="No output artifacts." />
            {d.result !== null && (
              <>
                <h2>Returned value</h2>
                <Json value={d.result} />
              </>
            )}
            {d.children.length > 0 && (
              <>
                <h2>Steps</h2>
                <RunTable items={d.children} />
              </>
            )}
            {d.report !== null && (
              <>
                <h2>
                  Report <Link href={`/artifacts/${d.report.uid}`}>{d.report.key ?? d.report.uid}</Link>
                </h2>
                <TextOf uid={d.report.uid} markdown />
              </>
            )}
            {d.environment !== null && (
              <>
                <h2>
                  Environment <Link href={`/artifacts/${d.environment.uid}`}>{d.environment.key ?? d.environment.uid}</Link>
                </h2>
                <TextOf uid={d.environment.uid} markdown={false} />
              </>
            )}
            {r.logs !== null && r.logs !== "" && (
              <>
                <h2>Logs</h2>
                <pre>{r.logs}</pre>
              </>
            )}
          </div>
        )
      }}
    </Show>
  )
}
