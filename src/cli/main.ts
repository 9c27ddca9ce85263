/**
 * The `effect-damon` executable: runs the command tree (`CliRun.ts`) on Node with the process's
 * arguments and sets the exit status. The only module that touches the real process. Under
 * `npm start` with no arguments it runs `demo` (so `npm start` is the demo and `npm start --
 * serve --port 0` is serve).
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as NodeServices from "@effect/platform-node/NodeServices"
import * as Effect from "effect/Effect"
import { runCli } from "./CliRun.ts"

const argv = process.argv.slice(2)
const args = argv.length === 0 && process.env["npm_lifecycle_event"] === "start" ? ["demo"] : argv

runCli(args).pipe(
  Effect.tap((code) => Effect.sync(() => void (process.exitCode = code))),
  Effect.provide(NodeServices.layer),
  NodeRuntime.runMain({ disableErrorReporting: true })
)
