/**
 * The `effect-damon` executable: runs the command tree of `Cli.ts` on Node. This is the only
 * module that touches the real platform (process arguments, stdout, signals).
 */
import { NodeRuntime, NodeServices } from "@effect/platform-node"
import { Effect } from "effect"
import { Command } from "effect/cli"
import { cli } from "./Cli.ts"

cli.pipe(Command.run({ version: "0.1.0" }), Effect.provide(NodeServices.layer), NodeRuntime.runMain)
