/**
 * Instance settings on disk: which instance is current, and who the local user is.
 * Kept in `$LAMINA_HOME` (default `~/.lamina`) so later commands connect without arguments.
 *
 * @module
 */
import { promises as fs } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect } from "effect"
import { InvalidArgument, StorageError } from "../errors.js"
import { base62, UID_LENGTH } from "../registry/uid.js"
import { writeFileAtomic } from "../storage/fileio.js"

/** S3 connection settings of an instance (never credentials: those come from the AWS chain). */
export interface S3Settings {
  readonly endpoint?: string
  readonly region?: string
  readonly forcePathStyle?: boolean
}

/** What identifies an instance: its storage root and its registry database. */
export interface InstanceSettings {
  readonly name: string
  /** Absolute local folder or `s3://bucket/prefix`. */
  readonly storage: string
  /** SQLite file path or `postgresql://…` URL. */
  readonly db: string
  readonly s3?: S3Settings
}

/** The local user. */
export interface UserSettings {
  readonly uid: string
  readonly handle: string
  readonly name?: string
}

/** `$LAMINA_HOME`, default `~/.lamina`. */
export const laminaHome = (): string => process.env.LAMINA_HOME || path.join(os.homedir(), ".lamina")

const instanceFile = () => path.join(laminaHome(), "instance.json")
const userFile = () => path.join(laminaHome(), "user.json")

/** The default SQLite registry of a local storage root. */
export const defaultDbFor = (storage: string): string => path.join(storage, ".lamina", "lamina.db")

const readJson = <A>(file: string): Effect.Effect<A, NodeJS.ErrnoException> =>
  Effect.tryPromise({
    try: async () => JSON.parse(await fs.readFile(file, "utf8")) as A,
    catch: (cause) => cause as NodeJS.ErrnoException
  })

const writeJson = (file: string, value: unknown) =>
  Effect.tryPromise({
    try: () => writeFileAtomic(file, JSON.stringify(value, null, 2) + "\n"),
    catch: (cause) =>
      new StorageError({ message: `Cannot write settings '${file}': ${String(cause)}. Check LAMINA_HOME.`, path: file, cause })
  })

/** The current instance; `InvalidArgument` telling how to create one when there is none. */
export const loadInstanceSettings: Effect.Effect<InstanceSettings, InvalidArgument | StorageError> = Effect.suspend(() =>
  readJson<InstanceSettings>(instanceFile()).pipe(
    Effect.catchAll((e): Effect.Effect<never, InvalidArgument | StorageError> =>
      e.code === "ENOENT"
        ? Effect.fail(
            new InvalidArgument({
              message: `No Lamina instance is configured in ${laminaHome()}. Run 'lamina init --storage DIR' first.`
            })
          )
        : Effect.fail(
            new StorageError({ message: `Cannot read ${instanceFile()}: ${e.message}. Fix or delete the file and run 'lamina init' again.`, cause: e })
          )
    )
  )
)

const knownDir = () => path.join(laminaHome(), "instances")
const knownFile = (name: string) => path.join(knownDir(), `${encodeURIComponent(name)}.json`)

/** Remember `settings` as the current instance (and by name, for `--instance NAME`). */
export const saveInstanceSettings = (settings: InstanceSettings) =>
  Effect.zipRight(writeJson(knownFile(settings.name), settings), writeJson(instanceFile(), settings))

/** Names of the instances `lamina init` has connected from this `$LAMINA_HOME`. */
const knownNames = (): Effect.Effect<ReadonlyArray<string>> =>
  Effect.promise(() =>
    fs.readdir(knownDir()).then(
      (files) => files.filter((f) => f.endsWith(".json")).map((f) => decodeURIComponent(f.slice(0, -5))).sort(),
      () => []
    )
  )

/**
 * The instance `--instance NAME|PATH` names, without making it current: a name `lamina init`
 * remembered, or the folder of a local instance (its registry at `PATH/.lamina/lamina.db`).
 * Never creates an instance.
 */
export const instanceSettingsFor = (ref: string): Effect.Effect<InstanceSettings, InvalidArgument | StorageError> =>
  Effect.gen(function* () {
    if (ref.trim() === "") return yield* new InvalidArgument({ message: "--instance needs an instance name or the folder of a local instance." })
    const byName = yield* Effect.either(readJson<InstanceSettings>(knownFile(ref)))
    if (byName._tag === "Right") return byName.right
    if (byName.left.code !== "ENOENT")
      return yield* new StorageError({ message: `Cannot read ${knownFile(ref)}: ${byName.left.message}. Fix or delete the file.`, cause: byName.left })
    const storage = path.resolve(ref)
    const db = defaultDbFor(storage)
    const isLocal = yield* Effect.promise(() => fs.stat(db).then((st) => st.isFile(), () => false))
    if (isLocal) return { name: path.basename(storage) || "lamina", storage, db }
    const names = yield* knownNames()
    return yield* new InvalidArgument({
      message: `No instance '${ref}': no instance of that name (${names.length > 0 ? `known: ${names.join(", ")}` : "none remembered yet"}) and no local instance at ${storage} (no ${db}). Create it with 'lamina init --storage ${ref}'.`
    })
  })

/** The local user, created on first use (handle from `LAMINA_USER` or the OS user name). */
export const loadOrCreateUser: Effect.Effect<UserSettings, StorageError> = Effect.suspend(() =>
  readJson<UserSettings>(userFile()).pipe(
    Effect.orElse(() => {
      const handle = process.env.LAMINA_USER || safeUserName()
      const user: UserSettings = { uid: base62(UID_LENGTH.user), handle }
      return Effect.as(writeJson(userFile(), user), user)
    })
  )
)

const safeUserName = (): string => {
  try {
    return os.userInfo().username || "anonymous"
  } catch {
    return "anonymous"
  }
}
