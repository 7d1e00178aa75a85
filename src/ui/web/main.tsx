/** The Lamina UI: one page app over the server's read-only JSON API. */
import { render } from "preact"
import { useEffect, useState } from "preact/hooks"
import type { Changes, Info } from "../api/types.js"
import { get, useApi } from "./api.js"
import { Link } from "./components.js"
import { ArtifactPage } from "./pages/Artifact.js"
import { ArtifactsPage } from "./pages/Artifacts.js"
import { LineagePage } from "./pages/Lineage.js"
import { RunPage } from "./pages/Run.js"
import { RunsPage } from "./pages/Runs.js"
import { SweepPage } from "./pages/Sweep.js"
import { navigate, useLocation } from "./router.js"

/** How often pages look for registry changes (live updates). */
const POLL_MS = 1500

/** The registry's change stamp, polled; pages reload their data when it moves. */
const useChanges = (): string => {
  const [stamp, setStamp] = useState("")
  useEffect(() => {
    let stopped = false
    let timer: ReturnType<typeof setTimeout> | undefined
    const poll = () =>
      get<Changes>("/api/changes")
        .then((c) => !stopped && setStamp(c.stamp))
        .catch(() => undefined)
        .finally(() => {
          if (!stopped) timer = setTimeout(poll, document.hidden ? POLL_MS * 4 : POLL_MS)
        })
    void poll()
    return () => {
      stopped = true
      clearTimeout(timer)
    }
  }, [])
  return stamp
}

const NAV: ReadonlyArray<readonly [string, string]> = [
  ["/artifacts", "Artifacts"],
  ["/runs", "Runs"],
  ["/sweep", "Sweeps"],
  ["/lineage", "Lineage"]
]

const App = () => {
  const { path, query } = useLocation()
  const stamp = useChanges()
  const info = useApi<Info>("/api/info", undefined, "info")
  const [text, setText] = useState("")
  const section = path === "/" ? "/artifacts" : `/${path.split("/")[1] ?? ""}`
  const uid = path.split("/")[2]
  let page
  if (path === "/" || path === "/artifacts") page = <ArtifactsPage query={query} stamp={stamp} />
  else if (section === "/artifacts" && uid) page = <ArtifactPage uid={uid} stamp={stamp} />
  else if (path === "/runs") page = <RunsPage query={query} stamp={stamp} />
  else if (section === "/runs" && uid) page = <RunPage uid={uid} stamp={stamp} />
  else if (path === "/lineage") page = <LineagePage query={query} />
  else if (path === "/sweep") page = <SweepPage query={query} stamp={stamp} />
  else page = <p class="error">No page at {path}.</p>
  useEffect(() => {
    document.title = `${NAV.find(([p]) => p === section)?.[1] ?? "Lamina"} · Lamina`
  }, [section])
  return (
    <>
      <header class="top">
        <Link href="/artifacts" class="brand">
          Lamina
        </Link>
        <nav>
          {NAV.map(([href, label]) => (
            <Link key={href} href={href} class={section === href ? "active" : ""}>
              {label}
            </Link>
          ))}
        </nav>
        <input
          class="global-search"
          type="search"
          placeholder="Search artifacts…"
          value={text}
          onInput={(e) => setText(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key === "Enter" && text.trim() !== "") navigate(`/artifacts?q=${encodeURIComponent(text.trim())}`)
          }}
        />
        <span class="instance">{info.state === "ok" ? `${info.data.name} · ${info.data.dialect} · read-only` : ""}</span>
      </header>
      <main>{page}</main>
    </>
  )
}

const root = document.getElementById("app")!
// Replace the static "Loading…" placeholder.
root.textContent = ""
render(<App />, root)
