/**
 * The JSON shapes of the UI's API (`/api/...`), shared by the server and the front-end (types
 * only: the front-end bundle imports nothing else from the server).
 *
 * @module
 */

/** An artifact in lists. */
export interface ArtifactItem {
  readonly uid: string
  readonly key: string | null
  readonly description: string | null
  readonly suffix: string
  readonly kind: string | null
  readonly otype: string | null
  readonly size: number | null
  readonly hash: string | null
  readonly n_files: number | null
  readonly n_observations: number | null
  readonly version: string
  readonly is_latest: boolean
  readonly branch: number
  readonly created_at: string
  readonly created_by: string | null
  readonly run: string | null
}

/** A page of records and the cursor of the next page (null on the last page). */
export interface Page<A> {
  readonly items: ReadonlyArray<A>
  readonly next: string | null
}

/** A run in lists. */
export interface RunItem {
  readonly uid: string
  readonly name: string | null
  readonly status: string
  readonly transform: { readonly uid: string; readonly key: string | null } | null
  readonly started_at: string | null
  readonly finished_at: string | null
  readonly duration_ms: number | null
  readonly params: Readonly<Record<string, unknown>>
  readonly reused_run: string | null
  readonly initiated_by_run: string | null
}

/** A page of runs with the param keys seen on it (the table's columns). */
export interface RunPage extends Page<RunItem> {
  readonly paramKeys: ReadonlyArray<string>
}

/** A transform in lists. */
export interface TransformItem {
  readonly uid: string
  readonly key: string | null
  readonly description: string | null
  readonly kind: string
  readonly version: string
  readonly is_latest: boolean
  readonly created_at: string
}

/** An artifact's page. */
export interface ArtifactDetail {
  readonly artifact: ArtifactItem & { readonly hash_type: string | null; readonly path: string; readonly updated_at: string }
  readonly metadata: Readonly<Record<string, unknown>> | null
  readonly versions: ReadonlyArray<ArtifactItem>
  readonly createdBy: RunItem | null
  readonly usedBy: ReadonlyArray<RunItem>
}

/** What the preview endpoint returns, by kind. */
export type Preview =
  | { readonly kind: "table"; readonly columns: ReadonlyArray<{ readonly name: string; readonly type: string }>; readonly rows: ReadonlyArray<ReadonlyArray<unknown>>; readonly totalRows: number }
  | {
      readonly kind: "anndata"
      readonly shape: ReadonlyArray<number> | null
      readonly obs: ReadonlyArray<{ readonly name: string; readonly type: string }>
      readonly var: ReadonlyArray<{ readonly name: string; readonly type: string }>
      readonly layers: ReadonlyArray<string>
      readonly X: string | null
    }
  | { readonly kind: "text" | "markdown"; readonly text: string; readonly truncated: boolean }
  | { readonly kind: "image"; readonly url: string }
  | { readonly kind: "none"; readonly reason: string }

/** A run's page. */
export interface RunDetail {
  readonly run: RunItem & { readonly cache_key: string | null; readonly entrypoint: string | null; readonly logs: string | null; readonly cli_args: string | null }
  readonly result: unknown
  readonly error: unknown
  readonly inputs: ReadonlyArray<ArtifactItem>
  readonly outputs: ReadonlyArray<ArtifactItem>
  readonly environment: ArtifactItem | null
  readonly report: ArtifactItem | null
  readonly children: ReadonlyArray<RunItem>
  readonly why: WhyJson | null
}

/** `Run.why` as JSON. */
export interface WhyJson {
  readonly outcome: string
  readonly message: string
  readonly reusedRun?: string
  readonly closestRun?: string
  readonly changes: ReadonlyArray<{ readonly component: string; readonly name?: string; readonly detail: string }>
}

/** A feature the Artifacts page's feature picker offers. */
export interface FeatureChoice {
  readonly name: string
  readonly dtype: string
  readonly unit: string | null
  /** The lookups a filter on it takes (`exact` is written as `name=value`). */
  readonly lookups: ReadonlyArray<string>
  /** Label names a categorical feature's values come from (empty for other dtypes). */
  readonly values: ReadonlyArray<string>
}

/** A label the label picker offers, with the filter key that finds what it labels. */
export interface LabelChoice {
  readonly name: string
  readonly registry: "ULabel" | "Record"
  /** `ulabels__name` or `records__name`. */
  readonly filter: string
}

/** `/api/annotations`: features and labels for the pickers (empty lists when there are none). */
export interface Annotations {
  readonly features: ReadonlyArray<FeatureChoice>
  readonly labels: ReadonlyArray<LabelChoice>
  /** A list was cut at `limit`. */
  readonly truncated: boolean
}

/** A lineage graph node. */
export interface GraphNode {
  readonly id: string
  readonly kind: "artifact" | "collection" | "run" | "transform"
  readonly uid: string
  readonly label: string
  readonly detail?: string
}

/** A lineage graph around a root, upstream and downstream. */
export interface GraphJson {
  readonly root: string
  readonly nodes: ReadonlyArray<GraphNode>
  readonly edges: ReadonlyArray<{ readonly from: string; readonly to: string }>
  /** True when the node cap cut the graph. */
  readonly truncated: boolean
}

/** One run of a sweep: its params and numeric metrics, flattened to dotted paths. */
export interface SweepRun {
  readonly uid: string
  readonly status: string
  readonly params: Readonly<Record<string, number | string | boolean | null>>
  readonly metrics: Readonly<Record<string, number>>
}

/** A transform's runs for the sweep comparison. */
export interface SweepJson {
  readonly transform: TransformItem
  readonly params: ReadonlyArray<string>
  readonly metrics: ReadonlyArray<string>
  readonly runs: ReadonlyArray<SweepRun>
}

/** What changed in the registry, cheaply: the page polls it and reloads when it moves. */
export interface Changes {
  readonly runs: number
  readonly artifacts: number
  readonly running: number
  readonly stamp: string
}

/** A field filters can use (from the registry's declaration). */
export interface FilterField {
  readonly name: string
  readonly type: string
  readonly lookups: ReadonlyArray<string>
}

/** The instance the UI shows. */
export interface Info {
  readonly name: string
  readonly storage: string
  readonly dialect: string
  readonly user: string
  readonly readOnly: true
}
