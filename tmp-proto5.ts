import { Effect } from "effect"
import * as Explorer from "./src/testing/Explorer.ts"
import * as Scenarios from "./src/testing/Scenarios.ts"
import * as Strategy from "./src/testing/Strategy.ts"
Effect.runPromise(Effect.gen(function*() {
  for (const time of ["virtual", "real"] as const) for (const wm of [false, true]) for (const strategy of [Strategy.random, Strategy.pct()]) {
    const sc = Scenarios.make({ time, watermarks: wm, id: `${time}-${wm}` })
    const t0 = performance.now()
    const r = yield* Explorer.explore(sc, { schedules: 300, strategy, seed: 4 })
    console.log(sc.id, Strategy.format(strategy), r._tag, r.schedules, (performance.now() - t0).toFixed(0), "ms")
    if (r._tag === "Failed") console.log(Explorer.formatReport(sc, r))
  }
}))
