/**
 * The text of the modules steps are defined in and import, read once per process: Node never
 * reloads a module, so what it runs is what was read first.
 *
 * @module
 */
import { readFileUntraced } from "../tracker/untracedFs.js"

const texts = new Map<string, string | undefined>()

/** `file`'s text; undefined when it cannot be read. */
export const moduleText = (file: string): string | undefined => {
  if (texts.has(file)) return texts.get(file)
  let text: string | undefined
  try {
    text = readFileUntraced(file, "utf8")
  } catch {
    text = undefined
  }
  texts.set(file, text)
  return text
}
