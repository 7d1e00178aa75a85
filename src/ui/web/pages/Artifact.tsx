/** The Artifact page: describe fields, versions timeline, preview, download, runs. */
import type { ArtifactDetail, Preview } from "../../api/types.js"
import { useApi } from "../api.js"
import { artifactName, Fields, Json, Link, RunTable, Show } from "../components.js"
import { formatDate, formatSize, formatValue } from "../format.js"
import { Markdown } from "../markdown.js"

const Columns = (props: { readonly title: string; readonly columns: ReadonlyArray<{ readonly name: string; readonly type: string }> }) => (
  <div>
    <h2>
      {props.title} <span class="badge">{props.columns.length} columns</span>
    </h2>
    <table class="grid">
      <tbody>
        {props.columns.map((c) => (
          <tr key={c.name}>
            <td>{c.name}</td>
            <td class="mono muted">{c.type}</td>
          </tr>
        ))}
      </tbody>
    </table>
  </div>
)

const PreviewView = (props: { readonly preview: Preview }) => {
  const p = props.preview
  switch (p.kind) {
    case "table":
      return (
        <div class="preview">
          <p class="muted">
            First {p.rows.length} of {p.totalRows} rows
          </p>
          <div style={{ overflow: "auto" }}>
            <table class="grid preview-table">
              <thead>
                <tr>
                  {p.columns.map((c) => (
                    <th key={c.name} title={c.type}>
                      {c.name}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {p.rows.map((r, i) => (
                  <tr key={i}>
                    {r.map((v, j) => (
                      <td key={j} class="mono">
                        {formatValue(v)}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
      )
    case "anndata":
      return (
        <div class="preview anndata">
          <Fields
            rows={[
              ["shape", p.shape === null ? "–" : `${p.shape.join(" × ")} (n_obs × n_vars)`],
              ["X", p.X ?? "–"],
              ["layers", p.layers.length === 0 ? "–" : p.layers.join(", ")]
            ]}
          />
          <div class="cols">
            <Columns title="obs" columns={p.obs} />
            <Columns title="var" columns={p.var} />
          </div>
        </div>
      )
    case "markdown":
      return <Markdown text={p.text} />
    case "text":
      return (
        <div class="preview">
          <pre class="text-preview">{p.text}</pre>
          {p.truncated && <p class="muted">(truncated)</p>}
        </div>
      )
    case "image":
      return (
        <div class="preview">
          <img src={p.url} alt="artifact preview" />
        </div>
      )
    case "none":
      return <p class="muted">{p.reason}</p>
  }
}

export const ArtifactPage = (props: { readonly uid: string; readonly stamp: string }) => {
  const loaded = useApi<ArtifactDetail>(`/api/artifacts/${encodeURIComponent(props.uid)}`, undefined, props.uid + props.stamp)
  const preview = useApi<Preview>(`/api/artifacts/${encodeURIComponent(props.uid)}/preview`, undefined, props.uid)
  return (
    <Show loaded={loaded}>
      {(d) => {
        const a = d.artifact
        return (
          <div>
            <h1 class="artifact-title">{artifactName(a)}</h1>
            <div class="toolbar">
              {a.n_files === null || a.n_files <= 1 ? (
                <a class="download" href={`/api/artifacts/${a.uid}/download`} download>
                  <button>Download</button>
                </a>
              ) : null}
              <Link href={`/lineage?target=${a.uid}`} class="lineage-link">
                <button>Lineage</button>
              </Link>
            </div>
            <div class="cols">
              <div class="card">
                <Fields
                  rows={[
                    ["uid", <span class="mono">{a.uid}</span>],
                    ["key", a.key ?? "–"],
                    ["description", a.description ?? "–"],
                    ["version", `${a.version}${a.is_latest ? " (latest)" : ""}${a.branch === -1 ? " (in trash)" : ""}`],
                    ["hash", <span class="mono">{`${a.hash ?? "–"} (${a.hash_type ?? "–"})`}</span>],
                    ["size", `${formatSize(a.size)}${a.n_files !== null && a.n_files > 1 ? `, ${a.n_files} files` : ""}`],
                    ["suffix", a.suffix || "–"],
                    ["kind", a.kind ?? "–"],
                    ["otype", a.otype ?? "–"],
                    ["n_observations", a.n_observations === null ? "–" : String(a.n_observations)],
                    ["path", <span class="mono">{a.path}</span>],
                    ["created_at", formatDate(a.created_at)],
                    ["created_by", a.created_by ?? "–"],
                    ["run", d.createdBy === null ? "–" : <Link href={`/runs/${d.createdBy.uid}`}>{`${d.createdBy.name ?? d.createdBy.uid} (${d.createdBy.status})`}</Link>],
                    ["transform", d.createdBy?.transform ? <Link href={`/sweep?transform=${d.createdBy.transform.uid}`}>{d.createdBy.transform.key ?? d.createdBy.transform.uid}</Link> : "–"]
                  ]}
                />
              </div>
              <div class="card">
                <h2 style={{ marginTop: 0 }}>Versions</h2>
                <ul class="timeline versions">
                  {d.versions.map((v) => (
                    <li key={v.uid} class={v.uid === a.uid ? "current" : ""}>
                      <Link href={`/artifacts/${v.uid}`}>{`v${v.version}`}</Link>
                      {v.is_latest && <span class="badge">latest</span>}
                      <div class="muted mono">
                        {formatDate(v.created_at)} · {formatSize(v.size)} · {v.hash ?? ""}
                      </div>
                    </li>
                  ))}
                </ul>
                {d.metadata !== null && Object.keys(d.metadata).length > 0 && (
                  <>
                    <h2>Format metadata</h2>
                    <Json value={d.metadata} />
                  </>
                )}
              </div>
            </div>
            <h2>Preview</h2>
            <Show loaded={preview}>{(p) => <PreviewView preview={p} />}</Show>
            <h2>Created by</h2>
            {d.createdBy === null ? <p class="muted">Registered outside a tracked run.</p> : <RunTable items={[d.createdBy]} />}
            <h2>Used by</h2>
            <RunTable items={d.usedBy} empty="No run has used this artifact yet." />
          </div>
        )
      }}
    </Show>
  )
}
