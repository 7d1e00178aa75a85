/**
 * Where Lamina's log lines go. Effect's default logger prints to stdout, so a library warning
 * ("returning artifact with same hash", "no run has params key …") would mix into a program's
 * output and survive `2>/dev/null`. Every Lamina layer swaps it for the same logfmt lines on
 * stderr; a program that already replaced the default logger (the CLI does) keeps its own.
 *
 * @module
 */
import { Effect, FiberRef, HashSet, Layer, Logger } from "effect"

/** Effect's default logger, but writing to stderr (`console.error`). */
export const stderrLogger: Logger.Logger<unknown, void> = Logger.withConsoleError(Logger.logfmtLogger)

/** Replace Effect's default (stdout) logger with {@link stderrLogger}, when it is installed. */
export const layerStderrLogger: Layer.Layer<never> = Layer.scopedDiscard(
  Effect.locallyScopedWith(FiberRef.currentLoggers, (loggers) =>
    HashSet.has(loggers, Logger.defaultLogger) ? HashSet.add(HashSet.remove(loggers, Logger.defaultLogger), stderrLogger) : loggers
  )
)
