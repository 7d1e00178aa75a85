/** Minimal types for s3rver (an S3-compatible server used by tests and benchmarks). */
declare module "s3rver" {
  interface S3rverOptions {
    readonly address?: string
    readonly port?: number
    readonly silent?: boolean
    readonly directory?: string
    readonly resetOnClose?: boolean
    readonly allowMismatchedSignatures?: boolean
    readonly vhostBuckets?: boolean
    readonly configureBuckets?: ReadonlyArray<{ readonly name: string }>
  }
  class S3rver {
    constructor(options?: S3rverOptions)
    run(): Promise<{ readonly address: string; readonly port: number }>
    /** Set by `run()`. */
    readonly httpServer?: import("node:http").Server
    close(): Promise<void>
  }
  export = S3rver
}
