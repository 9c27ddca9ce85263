import { Effect } from "effect"
import * as Explorer from "./src/testing/Explorer.ts"
import * as Scenarios from "./src/testing/Scenarios.ts"
import * as Strategy from "./src/testing/Strategy.ts"
import { engineBugs } from "./spec/testing/BugVariants.ts"

const only = process.argv[2]
Effect.runPromise(Effect.gen(function*() {
  for (const bug of engineBugs) {
    if (only && bug.name !== only) continue
    for (const strategy of [Strategy.random, Strategy.pct()]) {
      const scenario = Scenarios.make({ id: bug.name, engine: bug.engine })
      const t0 = performance.now()
      const r = yield* Explorer.explore(scenario, { schedules: 1000, strategy })
      const dt = performance.now() - t0
      if (r._tag === "Passed") { console.log(bug.name, Strategy.format(strategy), "NOT FOUND", dt.toFixed(0)); continue }
      console.log(bug.name, Strategy.format(strategy), "found after", r.schedules, "ms", dt.toFixed(0), "ops", r.found.operations, "->", r.shrunk.operations, "preempt", r.shrunk.preemptions, "shrinkRuns", r.shrinkRuns, r.shrunk.violations[0]?.invariant, r.shrunk.violations[0]?.message)
      if (process.argv[3]) console.log(Explorer.formatReport(scenario, r))
    }
  }
}))
