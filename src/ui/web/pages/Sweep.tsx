/**
 * Sweep comparison: a transform's runs, their params against a chosen output metric — a table
 * sorted by the metric and a parallel-coordinates plot (one line per run, coloured by the
 * metric); click a row or a line to open the run.
 */
import type { SweepJson, SweepRun, TransformItem } from "../../api/types.js"
import { useApi } from "../api.js"
import { Link, Show, Status } from "../components.js"
import { formatValue } from "../format.js"
import { navigate, withQuery } from "../router.js"

interface Axis {
  readonly name: string
  readonly value: (r: SweepRun) => number | string | boolean | null | undefined
  readonly scale: (v: number | string | boolean | null | undefined) => number
  readonly ticks: ReadonlyArray<readonly [number, string]>
}

/** A vertical axis over the runs' values: numeric (log when they span decades) or categorical. */
const makeAxis = (name: string, value: Axis["value"], runs: ReadonlyArray<SweepRun>, height: number): Axis => {
  const values = runs.map(value).filter((v) => v !== undefined && v !== null)
  const numeric = values.length > 0 && values.every((v) => typeof v === "number")
  if (numeric) {
    const nums = values as ReadonlyArray<number>
    const min = Math.min(...nums)
    const max = Math.max(...nums)
    const log = min > 0 && max / min >= 100
    const t = (v: number) => (log ? Math.log10(v) : v)
    const lo = t(min)
    const hi = t(max)
    const scale = (v: Axis["value"] extends (r: SweepRun) => infer V ? V : never) =>
      typeof v !== "number" ? height : hi === lo ? height / 2 : height - ((t(v) - lo) / (hi - lo)) * height
    const distinct = [...new Set(nums)].sort((a, b) => a - b)
    const tickValues = distinct.length <= 6 ? distinct : [min, ...[0.25, 0.5, 0.75].map((f) => (log ? 10 ** (lo + f * (hi - lo)) : lo + f * (hi - lo))), max]
    return { name, value, scale, ticks: tickValues.map((v) => [scale(v), formatValue(v)] as const) }
  }
  const cats = [...new Set(values.map(String))].sort()
  const scale = (v: Axis["value"] extends (r: SweepRun) => infer V ? V : never) =>
    v === null || v === undefined ? height : cats.length === 1 ? height / 2 : height - (cats.indexOf(String(v)) / (cats.length - 1)) * height
  return { name, value, scale, ticks: cats.map((c) => [scale(c), c] as const) }
}

/** Blue (low) → orange (high). */
const colour = (f: number): string => `hsl(${Math.round(220 - f * 190)}, 70%, 45%)`

const ParallelCoordinates = (props: { readonly sweep: SweepJson; readonly metric: string }) => {
  const runs = props.sweep.runs.filter((r) => r.metrics[props.metric] !== undefined)
  const height = 260
  const params = props.sweep.params.filter((p) => new Set(runs.map((r) => JSON.stringify(r.params[p] ?? null))).size > 1)
  const axes = [...params.map((p) => makeAxis(p, (r) => r.params[p], runs, height)), makeAxis(props.metric, (r) => r.metrics[props.metric], runs, height)]
  const gap = Math.max(140, Math.min(220, 900 / Math.max(1, axes.length - 1)))
  const width = gap * Math.max(1, axes.length - 1) + 160
  const m = runs.map((r) => r.metrics[props.metric]!)
  const lo = Math.min(...m)
  const hi = Math.max(...m)
  return (
    <svg class="plot parallel" width={width} height={height + 70} viewBox={`0 0 ${width} ${height + 70}`}>
      <g transform="translate(80,30)">
        {runs.map((r) => {
          const d = axes.map((a, i) => `${i === 0 ? "M" : "L"}${i * gap},${a.scale(a.value(r)).toFixed(1)}`).join(" ")
          const f = hi === lo ? 0.5 : (r.metrics[props.metric]! - lo) / (hi - lo)
          return (
            <path key={r.uid} class="line" data-run={r.uid} d={d} stroke={colour(f)} onClick={() => navigate(`/runs/${r.uid}`)}>
              <title>{`${r.uid}\n${params.map((p) => `${p} = ${formatValue(r.params[p])}`).join("\n")}\n${props.metric} = ${formatValue(r.metrics[props.metric])}`}</title>
            </path>
          )
        })}
        {axes.map((a, i) => (
          <g key={a.name} class="axis" transform={`translate(${i * gap},0)`}>
            <line x1={0} y1={0} x2={0} y2={height} />
            {a.ticks.map(([y, label], j) => (
              <g key={j}>
                <line x1={-4} y1={y} x2={0} y2={y} />
                <text x={-7} y={y + 4} text-anchor="end">
                  {label}
                </text>
              </g>
            ))}
            <text x={0} y={height + 22} text-anchor="middle" font-weight={i === axes.length - 1 ? "700" : "400"}>
              {a.name}
            </text>
          </g>
        ))}
      </g>
    </svg>
  )
}

export const SweepPage = (props: { readonly query: URLSearchParams; readonly stamp: string }) => {
  const transform = props.query.get("transform") ?? ""
  const transforms = useApi<{ readonly items: ReadonlyArray<TransformItem> }>("/api/transforms", undefined, "all")
  const params = new URLSearchParams({ transform })
  const sweep = useApi<SweepJson>(transform === "" ? undefined : "/api/sweep", params, transform + props.stamp)
  return (
    <div>
      <h1>Sweep comparison</h1>
      <div class="toolbar">
        <label>
          transform
          <Show loaded={transforms}>
            {(t) => (
              <select class="transform-select" value={transform} onChange={(e) => navigate(withQuery(props.query, { transform: e.currentTarget.value, metric: undefined }))}>
                <option value="">choose a transform…</option>
                {t.items.map((x) => (
                  <option key={x.uid} value={x.uid}>
                    {`${x.key ?? x.uid} (${x.kind}, v${x.version})`}
                  </option>
                ))}
              </select>
            )}
          </Show>
        </label>
        {transform !== "" && sweep.state === "ok" && sweep.data.metrics.length > 0 && (
          <label>
            metric
            <select class="metric-select" value={props.query.get("metric") ?? sweep.data.metrics[0]} onChange={(e) => navigate(withQuery(props.query, { metric: e.currentTarget.value }))}>
              {sweep.data.metrics.map((m) => (
                <option key={m} value={m}>
                  {m}
                </option>
              ))}
            </select>
          </label>
        )}
      </div>
      {transform === "" ? (
        <p class="muted">Choose a transform whose runs to compare: a flow run by sweep(), or any step run with different params.</p>
      ) : (
        <Show loaded={sweep}>
          {(s) => {
            const metric = props.query.get("metric") ?? s.metrics[0]
            const desc = props.query.get("order") === "desc"
            const rows = [...s.runs].sort((a, b) => {
              if (metric === undefined) return 0
              const x = a.metrics[metric] ?? Number.POSITIVE_INFINITY
              const y = b.metrics[metric] ?? Number.POSITIVE_INFINITY
              return desc ? y - x : x - y
            })
            return (
              <>
                <p class="muted">
                  {s.runs.length} runs of <b>{s.transform.key}</b>
                  {metric === undefined ? " — their results have no numeric values to compare." : ""}
                </p>
                {metric !== undefined && <ParallelCoordinates sweep={s} metric={metric} />}
                <table class="grid sweep-table" style={{ marginTop: "12px" }}>
                  <thead>
                    <tr>
                      <th>run</th>
                      <th>status</th>
                      {s.params.map((p) => (
                        <th key={p}>{p}</th>
                      ))}
                      {s.metrics.map((m) => (
                        <th key={m} class="num">
                          <a href={withQuery(props.query, { metric: m, order: m === metric && !desc ? "desc" : undefined })} onClick={(e) => (e.preventDefault(), navigate(withQuery(props.query, { metric: m, order: m === metric && !desc ? "desc" : undefined })))}>
                            {m}
                            {m === metric ? (desc ? " ↓" : " ↑") : ""}
                          </a>
                        </th>
                      ))}
                    </tr>
                  </thead>
                  <tbody>
                    {rows.map((r) => (
                      <tr key={r.uid}>
                        <td>
                          <Link href={`/runs/${r.uid}`} class="run-link mono">
                            {r.uid}
                          </Link>
                        </td>
                        <td>
                          <Status status={r.status} />
                        </td>
                        {s.params.map((p) => (
                          <td key={p} class="mono">
                            {formatValue(r.params[p])}
                          </td>
                        ))}
                        {s.metrics.map((m) => (
                          <td key={m} class="num mono">
                            {formatValue(r.metrics[m])}
                          </td>
                        ))}
                      </tr>
                    ))}
                  </tbody>
                </table>
              </>
            )
          }}
        </Show>
      )}
    </div>
  )
}
