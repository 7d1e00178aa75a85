/**
 * S3 for tests: s3rver on a free loopback port, started before a file's (or describe block's)
 * tests and stopped after them. No traffic leaves 127.0.0.1: credentials are s3rver's own key
 * pair and the EC2 metadata lookup is off.
 */
import { afterAll, beforeAll } from "vitest"
import { startS3Server, useLoopbackCredentials, type S3Server } from "../../bench/team/s3server.js"

export type { S3Server } from "../../bench/team/s3server.js"

useLoopbackCredentials()

/**
 * Register hooks that run an S3 server around the enclosing file or describe block; returns
 * a getter for it (valid inside tests and later hooks).
 */
export const useS3Server = (): (() => S3Server) => {
  let server: S3Server | undefined
  beforeAll(async () => {
    server = await startS3Server()
  })
  afterAll(async () => {
    await server?.stop()
    server = undefined
  })
  return () => {
    if (server === undefined) throw new Error("the S3 server is not running: call useS3Server() at collection time, use it in tests")
    return server
  }
}
