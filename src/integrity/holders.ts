/**
 * Whether a live process still holds a temporary file: its writer's pid (recorded in the temp
 * name) is alive, or — on Linux — some process has the file open (`/proc/PID/fd`). A temp file
 * of a save in progress is never removed.
 *
 * @module
 */
import { readdirSync, readlinkSync } from "node:fs"

/** True when a process with this pid exists on this host. */
export const pidAlive = (pid: number): boolean => {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    // EPERM: it exists, owned by another user.
    return (e as NodeJS.ErrnoException).code === "EPERM"
  }
}

/**
 * Every path some process on this host has open, from `/proc/PID/fd` (Linux); an empty set
 * where `/proc` is not available (the age threshold and the pid check still apply).
 */
export const openPaths = (): ReadonlySet<string> => {
  const out = new Set<string>()
  let pids: Array<string>
  try {
    pids = readdirSync("/proc").filter((p) => /^\d+$/.test(p))
  } catch {
    return out
  }
  for (const pid of pids) {
    let fds: Array<string>
    try {
      fds = readdirSync(`/proc/${pid}/fd`)
    } catch {
      continue // gone, or another user's process
    }
    for (const fd of fds) {
      try {
        out.add(readlinkSync(`/proc/${pid}/fd/${fd}`))
      } catch {
        // closed meanwhile
      }
    }
  }
  return out
}
