/**
 * The workload flags of `report accuracy` and `report sweep` name a masim config or a trace, with
 * the trace's replay flags. (Standard input, `--trace -`, is exercised through the executable in
 * `ReportAccuracy.test.ts` and `ReportSweep.test.ts`.)
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { SweepFailed } from "../../src/accuracy/Sweep.ts"
import type { WorkloadSpec } from "../../src/accuracy/Workload.ts"
import { namingStdin, workloadOf } from "../../src/cli/WorkloadInput.ts"
import { busy, invalidArgument } from "../../src/model/DamonError.ts"

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

  it("errors name the copy of stdin `stdin`; other errors and other workloads are left as they are", () => {
    const copy = "/tmp/effect-damon-trace-x/stdin.lackey"
    const fromStdin: WorkloadSpec = { kind: "trace", path: copy, accessesPerUs: 1 }
    const named = namingStdin({ trace: "-" }, fromStdin)
    assert.strictEqual(named(invalidArgument(`${copy}:3`, "this is junk", "not a lackey line")).message, `stdin:3: "this is junk" is invalid: not a lackey line`)
    assert.strictEqual(named(new SweepFailed({ index: 2, detail: `${copy}:3: bad` })).message, "sweep setting 2 failed: stdin:3: bad")
    const other = busy("a walk")
    assert.strictEqual(named(other), other)
    const fromFile = invalidArgument(`${copy}:3`, "x", "bad")
    assert.strictEqual(namingStdin({ trace: copy }, fromStdin)(fromFile), fromFile)
  })
})
