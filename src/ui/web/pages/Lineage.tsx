/** The Lineage page: the graph around an artifact or run, upstream and downstream. */
import { useState } from "preact/hooks"
import type { GraphJson } from "../../api/types.js"
import { useApi } from "../api.js"
import { Show } from "../components.js"
import { LineageGraph } from "../graph.js"
import { navigate, withQuery } from "../router.js"

export const LineagePage = (props: { readonly query: URLSearchParams }) => {
  const target = props.query.get("target") ?? ""
  const direction = props.query.get("direction") ?? "both"
  const [text, setText] = useState(target)
  const params = new URLSearchParams({ target, direction })
  const loaded = useApi<GraphJson>(target === "" ? undefined : "/api/lineage", params, params.toString())
  return (
    <div>
      <h1>Lineage</h1>
      <div class="toolbar">
        <input value={text} placeholder="artifact key or uid, or run uid" style={{ width: "340px" }} onInput={(e) => setText(e.currentTarget.value)} onKeyDown={(e) => e.key === "Enter" && navigate(withQuery(props.query, { target: text.trim() }))} />
        <button class="primary" onClick={() => navigate(withQuery(props.query, { target: text.trim() }))}>
          Show
        </button>
        <select value={direction} onChange={(e) => navigate(withQuery(props.query, { direction: e.currentTarget.value }))}>
          <option value="both">upstream and downstream</option>
          <option value="up">upstream</option>
          <option value="down">downstream</option>
        </select>
        <label style={{ flexDirection: "row", alignItems: "center", gap: "4px" }}>
          <input type="checkbox" checked={props.query.get("expand") === "all"} onChange={(e) => navigate(withQuery(props.query, { expand: e.currentTarget.checked ? "all" : undefined }))} />
          expand every fan-out
        </label>
      </div>
      {target === "" ? (
        <p class="muted">Pick an artifact or run: open one and press “Lineage”.</p>
      ) : (
        <Show loaded={loaded}>
          {(g) => (
            <>
              {g.truncated && <p class="muted">Large graph: only the first {g.nodes.length} nodes are shown.</p>}
              <LineageGraph graph={g} expandAll={props.query.get("expand") === "all"} />
            </>
          )}
        </Show>
      )}
    </div>
  )
}
