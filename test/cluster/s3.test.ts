/** The runner suite (suite.ts) with the instance's storage on S3 (s3rver on loopback). */
import { describeRunners } from "./suite.js"

describeRunners("s3")
