/**
 * The program a sweep's worker thread runs: evaluates each setting it is sent and posts the
 * result back (`Sweep.runJob`). A program edge, so it runs its effects itself.
 *
 * A thread compiles every module it loads anew, and a sweep's wall time includes its workers'
 * start: so the thread turns on Node's compile cache (the directory the CLI's bin uses, unless
 * `NODE_COMPILE_CACHE` names another or `NODE_DISABLE_COMPILE_CACHE` is set) before it loads
 * the library, dynamically for that reason. A worker's import then takes about half the time
 * (docs/accuracy.md, "Figures").
 */
import module from "node:module"
import { parentPort } from "node:worker_threads"
import type { SweepJob } from "./Sweep.ts"

module.enableCompileCache?.()
const Effect = await import("effect/Effect")
const { runJob } = await import("./Sweep.ts")

const port = parentPort
if (port !== null) port.on("message", (job: SweepJob) => void Effect.runPromise(runJob(job)).then((reply) => port.postMessage(reply)))
