import { Effect } from "effect"
import * as Explorer from "./src/testing/Explorer.ts"
import * as SysfsScenario from "./spec/testing/SysfsScenario.ts"
import { copyEffectiveQuotas, copyStats, copyTunedIntervals } from "./src/sysfs/TreeCopy.ts"

const variant = { refresh: (kd: any, ctx: any) => { const c = kd.contexts[0]; copyTunedIntervals(c.attrs, ctx.attrs); copyStats(c.schemes, ctx.schemes.map((s: any) => s.stat)); copyEffectiveQuotas(c.schemes, ctx.schemes.map((s: any) => s.quota.esz)) } }
Effect.runPromise(Effect.gen(function*() {
  for (const [name, seam] of [["sysfs", undefined], ["sysfs-refresh-bug", variant]] as const) {
    const scenario = SysfsScenario.make(name, seam)
    const t0 = performance.now()
    const r = yield* Explorer.explore(scenario, { schedules: 300 })
    console.log(name, r._tag, r.schedules, (performance.now() - t0).toFixed(0), "ms")
    if (r._tag === "Failed") console.log(Explorer.formatReport(scenario, r))
  }
}))
