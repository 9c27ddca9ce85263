/**
 * The workload flags of `report accuracy` and `report sweep` name a masim config or a trace, with
 * the trace's replay flags. (Standard input, `--trace -`, is exercised through the executable in
 * `ReportAccuracy.test.ts` and `ReportSweep.test.ts`.)
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { workloadOf } from "../../src/cli/WorkloadInput.ts"

describe("workloadOf", () => {
  it.effect("no trace: the masim workload; a trace: its path and replay flags, the masim name ignored", () =>
    Effect.gen(function*() {
      const flags = { workload: "zigzag", trace: "", rate: 0.5, dataOnly: true, skipBadLines: true }
      assert.deepStrictEqual(yield* Effect.scoped(workloadOf(flags)), { kind: "masim", name: "zigzag" })
      assert.deepStrictEqual(yield* Effect.scoped(workloadOf({ ...flags, trace: "prog.lackey.gz" })), {
        kind: "trace",
        path: "prog.lackey.gz",
        accessesPerUs: 0.5,
        instructions: false,
        skipBadLines: true
      })
      assert.deepStrictEqual(yield* Effect.scoped(workloadOf({ ...flags, trace: "prog.lackey", dataOnly: false, skipBadLines: false, rate: 2 })), {
        kind: "trace",
        path: "prog.lackey",
        accessesPerUs: 2,
        instructions: true,
        skipBadLines: false
      })
    }))
})
