/**
 * The program a sweep's worker thread runs: evaluates each setting it is sent and posts the
 * result back (`Sweep.runJob`). A program edge, so it runs its effects itself.
 */
import { parentPort } from "node:worker_threads"
import * as Effect from "effect/Effect"
import { runJob, type SweepJob } from "./Sweep.ts"

const port = parentPort
if (port !== null) port.on("message", (job: SweepJob) => void Effect.runPromise(runJob(job)).then((reply) => port.postMessage(reply)))
