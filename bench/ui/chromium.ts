/**
 * Debian's Chromium driven by playwright-core, for the UI benchmark and end-to-end tests:
 * headless, no sandbox (tests run as root), nothing fetched from the network by the browser
 * itself, a fresh profile per launch.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { chromium, type BrowserContext } from "playwright-core"

/** Where Debian's `chromium` package puts the browser. */
export const CHROMIUM = "/usr/bin/chromium"

/** Whether Chromium is installed. */
export const chromiumAvailable = (): boolean => existsSync(CHROMIUM)

/** The flags every launch uses. */
export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync"
]

/** A browser with a fresh profile; `close` removes the profile. */
export const launch = async (): Promise<{ readonly context: BrowserContext; readonly close: () => Promise<void> }> => {
  const profile = mkdtempSync(path.join(os.tmpdir(), "lamina-chromium-"))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1360, height: 860 }
  })
  return {
    context,
    close: async () => {
      await context.close()
      rmSync(profile, { recursive: true, force: true })
    }
  }
}
