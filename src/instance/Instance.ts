/**
 * `Instance`: the connected instance — its settings, storage record and current user.
 * Registries read it to stamp `storage_id` and `created_by_id` on what they write.
 *
 * @module
 */
import { Context } from "effect"
import type { Dialect } from "../db/dialect.js"
import type { Storage } from "../registry/Storage.js"
import type { User } from "../registry/User.js"
import type { InstanceSettings } from "./settings.js"

/** The connected instance. */
export interface Instance {
  readonly settings: InstanceSettings
  readonly storage: Storage
  readonly user: User
  readonly dialect: Dialect
}

/** The `Instance` service tag. */
export const Instance = Context.GenericTag<Instance>("lamina/Instance")
