/**
 * What a method step's code fingerprint covers beyond its own module: the project files that
 * declare its receiver's classes. `class Base { @step() run() { return this.transform() } }` in
 * base.ts cannot see `class B extends Base { transform() {…} }` in b.ts: base.ts does not import
 * b.ts, so editing `B.transform` changed nothing the key held, and `new B().run()` hit with the
 * old result. Each receiver class now adds the files declaring it and its superclasses, found
 * among the files the calling code reaches (it had to reach `B` to make one), with what they
 * import in turn.
 *
 * @module
 */
import * as path from "node:path"
import { codeFingerprint, mergeFingerprints, type CodeFingerprint } from "./codeFingerprint.js"
import { classDeclaration, moduleText } from "./moduleText.js"
import { projectRootOf } from "./projectRoot.js"

/** The names of `cls` and its superclasses (a static method's receiver is the class itself). */
const classNames = (cls: Function): ReadonlyArray<string> => {
  const names: Array<string> = []
  for (let c: unknown = cls; typeof c === "function" && c !== Function.prototype && c.name !== ""; c = Object.getPrototypeOf(c)) names.push(c.name)
  return names
}

/**
 * The files among those `callers` reach (and `callers` themselves) that declare `cls` or one of
 * its superclasses. Two classes of one name in different files: both count (a miss too many, never
 * a stale hit).
 */
const declaringFiles = (cls: Function, callers: ReadonlyArray<string>): ReadonlyArray<string> => {
  const names = classNames(cls)
  if (names.length === 0) return []
  const candidates = new Set<string>()
  for (const caller of callers) {
    const root = projectRootOf(caller)
    candidates.add(path.resolve(caller))
    for (const rel of Object.keys(codeFingerprint(caller).files)) candidates.add(path.join(root, rel))
  }
  const declaration = classDeclaration(names)
  return [...candidates].filter((file) => {
    const text = moduleText(file)
    return text !== undefined && declaration.test(text)
  })
}

/**
 * `own` (the method's module's fingerprint) with the files declaring the receiver's class `cls`
 * and its superclasses, and what they reach; `callers` are the files of the code calling the
 * method (`callerFiles()` at the call). Those modules were loaded before `cls` existed, so what
 * was edited since (`loadedAt`) is marked, not claimed.
 */
export const withReceiverClass = (own: CodeFingerprint, cls: Function, callers: ReadonlyArray<string>, loadedAt: number): CodeFingerprint => {
  const files = declaringFiles(cls, callers)
  return files.length === 0 ? own : mergeFingerprints([own, ...files.map((f) => codeFingerprint(f, loadedAt))])
}
