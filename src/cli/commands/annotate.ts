/**
 * `lamina annotate KEY_OR_UID [--feature NAME=VALUE]… [--label NAME]… [--project NAME]… [--reference NAME]… [--json]`
 *
 * Feature values are JSON when they parse as JSON (`temperature=21.6`), else strings
 * (`experiment=My experiment`); a categorical feature takes label names. Everything is checked
 * before anything is written.
 *
 * @module
 */
import { Effect } from "effect"
import { InvalidArgument } from "../../errors.js"
import { Project } from "../../registry/Project.js"
import { Reference } from "../../registry/Reference.js"
import { ULabel } from "../../registry/ULabel.js"
import { flagList } from "../args.js"
import type { Command } from "../command.js"
import { parseFilters } from "../listing.js"
import { resolveArtifact } from "../resolve.js"

/** `--feature NAME=VALUE` flags as feature values (JSON when they parse, else strings). */
export const parseFeatureFlags = (flags: ReadonlyArray<string>) =>
  Effect.mapError(parseFilters(flags), (e) => new InvalidArgument({ message: e.message.replace("--filter expects KEY=VALUE (e.g. 'size__gt=1000')", "--feature expects NAME=VALUE (e.g. 'temperature=21.6')") }))


export const command: Command = {
  name: "annotate",
  summary: "add feature values, labels, projects and references to an artifact",
  usage: "lamina annotate KEY_OR_UID [--feature NAME=VALUE]... [--label NAME]... [--project NAME]... [--reference NAME]... [--json]",
  flags: {
    feature: { type: "string", multiple: true, description: "a feature value NAME=VALUE, e.g. 'temperature=21.6' (repeatable)" },
    label: { type: "string", multiple: true, description: "the name of a ulabel to link (repeatable)" },
    project: { type: "string", multiple: true, description: "the name of a project to link (repeatable)" },
    reference: { type: "string", multiple: true, description: "the name of a reference to link (repeatable)" }
  },
  needsInstance: true,
  run: (args, out) =>
    Effect.gen(function* () {
      if (args.positionals.length !== 1) return yield* new InvalidArgument({ message: "Pass one artifact key or uid, then --feature/--label/--project/--reference flags." })
      const artifact = yield* resolveArtifact(args.positionals[0])
      const features = yield* parseFeatureFlags(flagList(args, "feature"))
      // Resolve every name first: a missing one fails before anything is written.
      const labels = yield* Effect.forEach(flagList(args, "label"), (name) => ULabel.get({ name }))
      const projects = yield* Effect.forEach(flagList(args, "project"), (name) => Project.get({ name }))
      const references = yield* Effect.forEach(flagList(args, "reference"), (name) => Reference.get({ name }))
      if (Object.keys(features).length + labels.length + projects.length + references.length === 0)
        return yield* new InvalidArgument({ message: "Nothing to annotate: pass --feature NAME=VALUE, --label NAME, --project NAME or --reference NAME." })
      if (Object.keys(features).length > 0) yield* artifact.features.add(features)
      if (labels.length > 0) yield* artifact.labels.add(labels)
      if (projects.length > 0) yield* artifact.projects.add(projects)
      if (references.length > 0) yield* artifact.references.add(references)
      const summary = yield* artifact.describeAnnotations()
      if (out.wantsJson) return out.json({ uid: artifact.uid, key: artifact.key, linked_features: summary.linked_features, labels: Object.fromEntries(summary.labels.map((g) => [g.link, g.names])) })
      out.line(`annotated ${artifact.key ?? artifact.uid}: ${summary.linked_features.length} feature value(s), ${summary.labels.reduce((n, g) => n + g.names.length, 0)} label(s)/link(s)`)
    })
}
