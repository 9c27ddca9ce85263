import { Arbitrary, Effect } from "effect"
import { decodeConfig } from "./src/core/BuildCtx.ts"
import * as A from "./src/testing/Arbitraries.ts"
Effect.runPromise(Effect.gen(function*() {
  const t0 = performance.now()
  const xs = yield* Arbitrary.sampleEffect(A.config({ metrics: true }), { seed: 1, count: 200, size: 10 })
  console.log("ms", (performance.now() - t0).toFixed(0), JSON.stringify(xs[3]).slice(0, 600))
  const ys = yield* Arbitrary.sampleEffect(A.invalidConfig(), { seed: 3, count: 200, size: 10 })
  let bad = 0
  for (const y of ys) { const r = decodeConfig(y.config); if (r._tag !== "Failure" || !(r as any).failure.message.startsWith(y.field + ":")) { bad++; if (bad < 4) console.log(y.field, r._tag === "Failure" ? (r as any).failure.message : "ok") } }
  console.log("bad", bad)
}))
