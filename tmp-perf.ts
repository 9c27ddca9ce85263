import { Effect } from "effect"
import { loadavg } from "node:os"
import * as Explorer from "./src/testing/Explorer.ts"
import * as Scenarios from "./src/testing/Scenarios.ts"
import * as Strategy from "./src/testing/Strategy.ts"
Effect.runPromise(Effect.gen(function*() {
  yield* Explorer.explore(Scenarios.control, { schedules: 100, strategy: Strategy.pct(), seed: 9 })
  const t0 = performance.now(); const c0 = process.cpuUsage()
  const r = yield* Explorer.explore(Scenarios.control, { schedules: 1000, strategy: Strategy.pct(), seed: 1 })
  const cpu = process.cpuUsage(c0); const cpuS = (cpu.user + cpu.system) / 1e6
  console.log(r._tag, (1000 / (performance.now() - t0) * 1000).toFixed(0), "schedules/s wall;", (1000 / cpuS).toFixed(0), "per cpu-s", loadavg())
}))
