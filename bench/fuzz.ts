/**
 * The hostile-input fuzzer at scale (issue 13): 100 000 generated cases over the public API
 * (`spec/support/Hostile.ts`, the generator the property test runs 10 000 of): every defect,
 * untyped failure, change on failure or unbounded message is counted. Goal: 0. Also reports the
 * rate, which sets the property test's runtime budget.
 */
import { Arbitrary, Effect } from "effect"
import { TestClock } from "effect/testing"
import { caseArbitrary, harnessLayer, makePools, makeRunner } from "../spec/support/Hostile.ts"
import { type Bench, nowMs } from "./Harness.ts"

const CASES = 100_000
const SEED = 13

const fuzz = (): Promise<{ violations: number; perSec: number; typedShare: number; first: string }> =>
  Effect.runPromise(Effect.scoped(Effect.gen(function*() {
    const run = yield* makeRunner(yield* makePools(SEED))
    let violations = 0
    let typed = 0
    let first = ""
    const t0 = nowMs()
    // sampled in chunks so the cases of one chunk are all that is held at once
    for (let done = 0; done < CASES; done += 10_000) {
      const cases = yield* Effect.orDie(Arbitrary.sampleEffect(caseArbitrary, { count: 10_000, seed: SEED + done, size: 100 }))
      for (const c of cases) {
        const verdict = yield* run(c)
        if (verdict._tag !== "ok") {
          violations++
          if (first === "") first = `${verdict._tag}: ${JSON.stringify(c)}: ${verdict.detail.slice(0, 300)}`
        } else if (verdict.typed) {
          typed++
        }
      }
    }
    return { violations, perSec: CASES / ((nowMs() - t0) / 1000), typedShare: typed / CASES, first }
  })).pipe(Effect.provide(harnessLayer), Effect.provide(TestClock.layer())))

export const fuzzBench: Bench = {
  name: "fuzz",
  run: async () => {
    const r = await fuzz()
    if (r.first !== "") process.stdout.write(`first violation: ${r.first}\n`)
    return {
      "fuzz.defects": {
        value: r.violations,
        unit: "cases",
        goal: "0",
        note: `${CASES} hostile cases (start, commit, goals, Transform, TransformStream, module writes), seed ${SEED}: defects, untyped failures, changes on failure, unbounded messages`
      },
      "fuzz.casesPerSec": {
        value: r.perSec,
        unit: "cases/s",
        note: `same run; ${(r.typedShare * 100).toFixed(0)} % of the cases were refused with a typed error`
      }
    }
  }
}
