/**
 * The text of the modules steps are defined in and import, read once per process: Node never
 * reloads a module, so what it runs is what was read first.
 *
 * @module
 */
import { readFileUntraced } from "../storage/ownWork.js"

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

/** A declaration in a module's text of a class named one of `names`: `class Model`, or a class expression bound to the name (`const Model = class {…}`). */
export const classDeclaration = (names: ReadonlyArray<string>): RegExp => {
  const any = names.map((n) => n.replace(/\$/g, "\\$")).join("|")
  return new RegExp(`(?<![\\p{ID_Continue}$])(?:class\\s+(?:${any})(?![\\p{ID_Continue}$])|(?:const|let|var)\\s+(?:${any})\\s*=\\s*class(?![\\p{ID_Continue}$]))`, "u")
}
