/**
 * An S3 server on loopback for tests and benchmarks: s3rver on a free port of 127.0.0.1,
 * backed by a temporary folder that is removed when it stops. Also sets the process's AWS
 * credentials to s3rver's built-in key pair when none are set (never a real account), and
 * turns off the EC2 metadata lookup so the SDK's provider chain never leaves loopback.
 *
 * @module
 */
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3"
import { randomBytes } from "node:crypto"
import { mkdtempSync, rmSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import S3rver from "s3rver"

/** s3rver's built-in access key pair. */
export const S3RVER_KEY = "S3RVER"

/** A running loopback S3 server. */
export interface S3Server {
  readonly endpoint: string
  /** The folder s3rver stores buckets in (`{directory}/{bucket}/{key}._S3rver_object`). */
  readonly directory: string
  /** A client with s3rver's credentials, for test setup that bypasses Lamina. */
  readonly client: S3Client
  /** Create a bucket (a random name by default); returns its name. */
  readonly createBucket: (name?: string) => Promise<string>
  readonly stop: () => Promise<void>
}

/** Point the AWS SDK's default credential chain at s3rver's key, unless credentials are set. */
export const useLoopbackCredentials = (): void => {
  process.env.AWS_ACCESS_KEY_ID ??= S3RVER_KEY
  process.env.AWS_SECRET_ACCESS_KEY ??= S3RVER_KEY
  process.env.AWS_REGION ??= "us-east-1"
  process.env.AWS_EC2_METADATA_DISABLED = "true"
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true"
}

/** Start s3rver on a free loopback port. */
export const startS3Server = async (): Promise<S3Server> => {
  useLoopbackCredentials()
  const directory = mkdtempSync(path.join(os.tmpdir(), "lamina-s3rver-"))
  const server = new S3rver({ address: "127.0.0.1", port: 0, silent: true, directory, resetOnClose: true })
  const { port } = await server.run()
  const endpoint = `http://127.0.0.1:${port}`
  const client = new S3Client({
    endpoint,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: { accessKeyId: S3RVER_KEY, secretAccessKey: S3RVER_KEY },
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED"
  })
  return {
    endpoint,
    directory,
    client,
    createBucket: async (name) => {
      const bucket = name ?? `lamina-${randomBytes(5).toString("hex")}`
      await client.send(new CreateBucketCommand({ Bucket: bucket }))
      return bucket
    },
    stop: async () => {
      client.destroy()
      // Keep-alive connections of clients that are still around would hold close() open.
      const closing = server.close()
      server.httpServer?.closeAllConnections()
      await closing
      rmSync(directory, { recursive: true, force: true })
    }
  }
}
