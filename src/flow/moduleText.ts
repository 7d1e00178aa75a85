/**
 * The text of the modules steps are defined in and import, read once per process: Node never
 * reloads a module, so what it runs is what was read first.
 *
 * @module
 */
import { readFileSync } from "node:fs"

const texts = new Map<string, string>()

/** `file`'s text; "" when it cannot be read. */
export const moduleText = (file: string): string => {
  let text = texts.get(file)
  if (text === undefined) {
    try {
      text = readFileSync(file, "utf8")
    } catch {
      text = ""
    }
    texts.set(file, text)
  }
  return text
}
