/**
 * `lamina init --storage DIR|s3://… [--db FILE|postgresql://…] [--name NAME]`
 *
 * @module
 */
import { Effect } from "effect"
import { redactUrl } from "../../db/url.js"
import { InvalidArgument } from "../../errors.js"
import { Instance } from "../../instance/Instance.js"
import * as Lamina from "../../instance/Lamina.js"
import { laminaHome, saveInstanceSettings } from "../../instance/settings.js"
import { flagBoolean, flagString } from "../args.js"
import type { Command } from "../command.js"

export const command: Command = {
  name: "init",
  summary: "create or connect an instance (registry + storage) and make it current",
  usage: "lamina init --storage DIR|s3://bucket/prefix [--db FILE|postgresql://…] [--name NAME] [--s3-endpoint URL] [--s3-region R] [--s3-path-style] [--json]",
  flags: {
    storage: { type: "string", description: "a local folder or s3://bucket/prefix" },
    db: { type: "string", description: "SQLite file or postgresql:// URL (default: DIR/.lamina/lamina.db)" },
    name: { type: "string", description: "instance name (default: the storage folder's name)" },
    s3_endpoint: { type: "string", description: "S3 endpoint URL (S3-compatible servers)" },
    s3_region: { type: "string", description: "S3 region" },
    s3_path_style: { type: "boolean", description: "address buckets by path, not host name" }
  },
  maxPositionals: 1,
  needsInstance: false,
  run: (args, out) =>
    Effect.gen(function* () {
      const storage = flagString(args, "storage") ?? args.positionals[0]
      if (storage === undefined) return yield* new InvalidArgument({ message: "Pass --storage DIR (a local folder) or --storage s3://bucket/prefix." })
      const endpoint = flagString(args, "s3_endpoint")
      const region = flagString(args, "s3_region")
      const s3 = endpoint || region || flagBoolean(args, "s3_path_style")
        ? { ...(endpoint ? { endpoint } : {}), ...(region ? { region } : {}), ...(flagBoolean(args, "s3_path_style") || endpoint ? { forcePathStyle: true } : {}) }
        : undefined
      const db = flagString(args, "db")
      const name = flagString(args, "name")
      const settings = yield* Lamina.resolveSettings({ storage, ...(db ? { db } : {}), ...(name ? { name } : {}), ...(s3 ? { s3 } : {}) })
      // Connecting runs pending migrations; it never drops or rewrites existing data.
      const instance = yield* Effect.provide(Instance, Lamina.layerSettings(settings))
      yield* saveInstanceSettings(settings)
      const summary = {
        name: settings.name,
        storage: settings.storage,
        db: redactUrl(settings.db),
        storage_uid: instance.storage.uid,
        user: instance.user.handle,
        lamina_home: laminaHome()
      }
      if (out.wantsJson) out.json(summary)
      else out.line(`✓ connected instance '${summary.name}'\n  storage: ${summary.storage}\n  registry: ${summary.db}\n  user: ${summary.user}`)
    })
}
