import { Effect } from "effect"
import * as Explorer from "./src/testing/Explorer.ts"
import * as Scenarios from "./src/testing/Scenarios.ts"
import * as Strategy from "./src/testing/Strategy.ts"
import * as Timeline from "./src/testing/Timeline.ts"

Effect.runPromise(Effect.gen(function*() {
  const one = yield* Explorer.replay(Scenarios.control, "dt1:control:fifo:1:0:10")
  console.log(JSON.stringify(one.plan), one.steps, one.violations)
  console.log(Timeline.format(one.history).split("\n").slice(0, 40).join("\n"))
  for (const strategy of [Strategy.random, Strategy.pct()]) {
    const t0 = performance.now()
    const r = yield* Explorer.explore(Scenarios.control, { schedules: 300, strategy })
    const dt = performance.now() - t0
    console.log(r._tag, r._tag === "Passed" ? r.schedules : r.schedules, (dt).toFixed(0), "ms", r._tag === "Passed" ? r.strategy : "")
    if (r._tag === "Failed") console.log(Explorer.formatReport(Scenarios.control, r))
  }
}))
