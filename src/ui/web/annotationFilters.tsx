/**
 * Feature and label pickers for the Artifacts page, shown when the instance has features or
 * labels: a feature, a comparison and a value become `temperature__gt=20`; a label becomes
 * `ulabels__name=DMSO` (or `records__name=…`) — filters in the CLI's `--filter` language, added
 * to the page's filter list. Active ones show as chips with a remove button.
 */
import { useState } from "preact/hooks"
import type { Annotations, FeatureChoice } from "../api/types.js"
import { useApi } from "./api.js"

const NUMERIC = /^(int|float|num|date|datetime|bool)$|^list\[(int|float|num|date|datetime|bool)\]$/

/** The filter text for `feature lookup value`; strings that would parse as JSON stay strings. */
export const featureFilter = (f: FeatureChoice, lookup: string, value: string): string => {
  const key = lookup === "exact" ? f.name : `${f.name}__${lookup}`
  let text = value.trim()
  if (lookup !== "in" && lookup !== "isnull" && !NUMERIC.test(f.dtype)) {
    let parsed: unknown = text
    try {
      parsed = JSON.parse(text)
    } catch {
      parsed = text
    }
    // `--filter` parses values as JSON: keep "42" a string for a str feature.
    if (typeof parsed !== "string") text = JSON.stringify(text)
  }
  return `${key}=${text}`
}

/** Whether filter `f` is one the pickers made (a feature's name as key root, or a label key). */
const isAnnotationFilter = (f: string, data: Annotations): boolean => {
  const root = f.slice(0, f.indexOf("=")).split("__")[0] ?? ""
  return f.startsWith("ulabels__") || f.startsWith("records__") || data.features.some((x) => x.name === root)
}

export const AnnotationFilters = (props: {
  readonly filters: ReadonlyArray<string>
  readonly onAdd: (filter: string) => void
  readonly onRemove: (filter: string) => void
}) => {
  const loaded = useApi<Annotations>("/api/annotations", undefined, "annotations")
  const [featureName, setFeatureName] = useState("")
  const [lookup, setLookup] = useState("exact")
  const [value, setValue] = useState("")
  const [label, setLabel] = useState("")
  const [problem, setProblem] = useState("")
  if (loaded.state !== "ok") return null
  const data = loaded.data
  if (data.features.length === 0 && data.labels.length === 0) return null
  const feature = data.features.find((f) => f.name === featureName) ?? data.features[0]
  const lookups = feature?.lookups ?? []
  const chosenLookup = lookups.includes(lookup) ? lookup : "exact"
  const active = props.filters.filter((f) => isAnnotationFilter(f, data))
  const addFeature = () => {
    if (feature === undefined) return
    if (value.trim() === "") return setProblem(`Enter a value for ${feature.name}.`)
    setProblem("")
    props.onAdd(featureFilter(feature, chosenLookup, value))
    setValue("")
  }
  const addLabel = () => {
    const choice = data.labels.find((l) => l.name === label.trim())
    if (choice === undefined) return setProblem(`No label named '${label.trim()}'.`)
    setProblem("")
    props.onAdd(`${choice.filter}=${JSON.stringify(choice.name)}`)
    setLabel("")
  }
  return (
    <div class="toolbar annotation-filters">
      {feature !== undefined && (
        <>
          <label>
            feature
            <select class="feature-select" value={feature.name} onChange={(e) => (setFeatureName(e.currentTarget.value), setValue(""))}>
              {data.features.map((f) => (
                <option key={f.name} value={f.name}>
                  {f.name} ({f.dtype}
                  {f.unit ? `, ${f.unit}` : ""})
                </option>
              ))}
            </select>
          </label>
          <label>
            comparison
            <select class="feature-lookup" value={chosenLookup} onChange={(e) => setLookup(e.currentTarget.value)}>
              {lookups.map((l) => (
                <option key={l} value={l}>
                  {l === "exact" ? "=" : l}
                </option>
              ))}
            </select>
          </label>
          <label>
            value
            <input
              class="feature-value"
              list="feature-values"
              value={value}
              placeholder={chosenLookup === "in" ? '["a", "b"]' : chosenLookup === "isnull" ? "true" : feature.values.length > 0 ? "label name" : feature.dtype}
              onInput={(e) => setValue(e.currentTarget.value)}
              onKeyDown={(e) => e.key === "Enter" && addFeature()}
            />
            <datalist id="feature-values">
              {feature.values.map((v) => (
                <option key={v} value={v} />
              ))}
            </datalist>
          </label>
          <button class="add-feature-filter" onClick={addFeature}>
            + feature filter
          </button>
        </>
      )}
      {data.labels.length > 0 && (
        <>
          <label>
            label
            <input class="label-input" list="label-names" value={label} placeholder="label name" onInput={(e) => setLabel(e.currentTarget.value)} onKeyDown={(e) => e.key === "Enter" && addLabel()} />
            <datalist id="label-names">
              {data.labels.map((l) => (
                <option key={`${l.registry}:${l.name}`} value={l.name}>
                  {l.registry}
                </option>
              ))}
            </datalist>
          </label>
          <button class="add-label-filter" onClick={addLabel}>
            + label filter
          </button>
        </>
      )}
      {problem !== "" && <span class="error inline-problem">{problem}</span>}
      {active.map((f) => (
        <span class="chip annotation-chip mono" key={f}>
          {f}
          <button class="chip-remove" title="remove" onClick={() => props.onRemove(f)}>
            ×
          </button>
        </span>
      ))}
    </div>
  )
}
