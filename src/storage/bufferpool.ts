/**
 * A fixed set of reusable part buffers shared by all uploads of a store. Taking one waits
 * while all are in use, so the memory held for uploads is at most `count × size` whatever
 * the number and size of files; reusing them keeps that memory from piling up as garbage.
 *
 * @module
 */
import { Effect } from "effect"

/** Reusable buffers of one size. */
export interface BufferPool {
  readonly size: number
  /** A buffer of at least `bytes` bytes (waits while all are in use). */
  readonly take: (bytes: number) => Effect.Effect<Buffer>
  /** Give a buffer back. */
  readonly give: (buffer: Buffer) => Effect.Effect<void>
}

/** A pool of at most `count` buffers of `size` bytes, allocated on first use. */
export const makeBufferPool = (size: number, count: number): Effect.Effect<BufferPool> =>
  Effect.map(Effect.makeSemaphore(count), (permits) => {
    const free: Array<Buffer> = []
    return {
      size,
      take: (bytes) =>
        Effect.uninterruptibleMask((restore) =>
          Effect.as(
            restore(permits.take(1)),
            // A part larger than the pool's size (files over 10 000 parts) gets its own buffer.
            bytes <= size ? (free.pop() ?? Buffer.allocUnsafeSlow(size)) : Buffer.allocUnsafeSlow(bytes)
          )
        ),
      give: (buffer) =>
        Effect.suspend(() => {
          if (buffer.length === size) free.push(buffer)
          return permits.release(1)
        })
    }
  })
