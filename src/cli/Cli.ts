/**
 * The `effect-damon` command tree, with damo's command names where they overlap: `demo` (what
 * `npm start` runs), `serve`, `start`, `tune`, `stop`, `status`, `record`, `report
 * access|heatmap|wss|damon`, `args damon`, `sysfs read|write|ls`, `workload list|show`.
 * `main.ts` runs it. Cheap to load: the definitions need only `effect/cli`; each command's
 * implementation is imported when it runs.
 */
import * as Command from "effect/cli/Command"
import { args, demo, record, serve, start, status, stop, tune } from "./CliMonitor.ts"
import { report, sysfs, workload } from "./CliReport.ts"

export const cli = Command.make("effect-damon").pipe(
  Command.withDescription("DAMON (Data Access MONitor) and DAMOS on Effect, with damo's commands, over a simulated machine"),
  Command.withSubcommands([demo, serve, start, tune, stop, status, record, report, args, sysfs, workload])
)
