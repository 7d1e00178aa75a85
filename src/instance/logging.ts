/**
 * Where Lamina's log lines go. Effect's default logger prints to stdout, so a library warning
 * ("returning artifact with same hash", "no run has params key …") would mix into a program's
 * output and survive `2>/dev/null`. Every Lamina layer swaps it for the same logfmt lines on
 * stderr; loggers a program adds itself are left alone.
 *
 * @module
 */
import { Layer, Logger } from "effect"

/** Effect's default logger, but writing to stderr (`console.error`). */
export const stderrLogger: Logger.Logger<unknown, void> = Logger.withConsoleError(Logger.logfmtLogger)

/** Replace Effect's default (stdout) logger with {@link stderrLogger}. */
export const layerStderrLogger: Layer.Layer<never> = Logger.replace(Logger.defaultLogger, stderrLogger)
