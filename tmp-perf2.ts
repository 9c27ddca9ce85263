import { Effect } from "effect"
import * as Explorer from "./src/testing/Explorer.ts"
import * as Scenarios from "./src/testing/Scenarios.ts"
import * as Strategy from "./src/testing/Strategy.ts"
Effect.runPromise(Effect.gen(function*() {
  const r = yield* Explorer.explore(Scenarios.control, { schedules: 1000, strategy: Strategy.pct(), seed: 1 })
  if (r._tag === "Failed") console.log(Explorer.formatReport(Scenarios.control, r))
}))
