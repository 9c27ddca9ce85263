/**
 * Accuracy runs: DAMON against the baseline at equal cost on masim stairs and on the shipped
 * trace, determinism, bad options refused before running, a bad trace failing the run with its
 * line number, and the report's text.
 */
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { AccuracyReport, Evaluate } from "effect-damon/accuracy"
import { testTempDir } from "../support/tempDir.ts"

const stairs = { kind: "masim", name: "stairs" } as const
const shippedTrace = new URL("../../data/traces/phases.lackey.gz", import.meta.url).pathname

describe("Evaluate", () => {
  it.effect("stairs: DAMON's WSS error is far below the baseline's at the same checks per sample; the hot stair is found", () =>
    Effect.gen(function*() {
      // the initial phase (10 s, every stair hot), then 2 s of stair 0
      const { damon, baseline } = yield* Evaluate.compare(stairs, { durationUs: 12_000_000 })
      assert.strictEqual(damon.windows.length, 120)
      assert.strictEqual(baseline.windows.length, 120)
      assert.deepStrictEqual([damon.samples, baseline.samples], [2400, 2400])
      // both judged on the same windows of world time
      assert.deepStrictEqual(damon.windows.map((w) => [w.startUs, w.endUs]), baseline.windows.map((w) => [w.startUs, w.endUs]))
      assert.strictEqual(baseline.checksPerSample, Math.round(damon.checksPerSample))
      assert.closeTo(baseline.checksPerSec, baseline.checksPerSample * 200, 1e-6)
      assert.isAtMost(damon.summary.wssErrorPct.median!, baseline.summary.wssErrorPct.median! / 2)
      assert.isAtLeast(damon.summary.hotRecall.median!, 0.9)
      assert.isAtLeast(damon.summary.hotPrecision.median!, 0.9)
    }))

  it.effect("a run is a pure function of its inputs: the same seed gives the same windows", () =>
    Effect.gen(function*() {
      const options = { durationUs: 2_000_000, seed: 5, attrs: { sampleIntervalUs: 10_000, aggrIntervalUs: 200_000 } }
      const a = yield* Evaluate.evaluateDamon({ kind: "masim", name: "zigzag" }, options)
      const b = yield* Evaluate.evaluateDamon({ kind: "masim", name: "zigzag" }, options)
      assert.deepStrictEqual(a, b)
      assert.strictEqual(a.windows.length, 10)
    }))

  it.effect("the shipped trace: DAMON's WSS error is below the baseline's", () =>
    Effect.gen(function*() {
      const { damon, baseline } = yield* Evaluate.compare(
        { kind: "trace", path: shippedTrace, accessesPerUs: 0.2 },
        { durationUs: 3_000_000, attrs: { opsUpdateIntervalUs: 500_000 } }
      )
      assert.isAbove(damon.windows.length, 25)
      assert.isBelow(damon.summary.wssErrorPct.median!, baseline.summary.wssErrorPct.median!)
    }))

  it.effect("bad options are refused before anything runs, naming the field", () =>
    Effect.gen(function*() {
      const fail = (options: Evaluate.EvaluateOptions) => Effect.flip(Evaluate.evaluateDamon(stairs, options)).pipe(Effect.map((e) => e.message))
      assert.strictEqual(yield* fail({ durationUs: 0 }), "durationUs: 0 is invalid: must be a positive finite number of microseconds")
      assert.strictEqual(yield* fail({ durationUs: 1e6, hotThreshold: 1.5 }), "hotThreshold: 1.5 is invalid: must be in (0, 1]")
      assert.strictEqual(yield* fail({ durationUs: 1e6, attrs: { minNrRegions: 2 } }), "attrs.minNrRegions: 2 is invalid: must be >= 3")
      assert.strictEqual(yield* fail({ durationUs: 1e6, warmupUs: 2e6 }), "warmupUs: 2000000 is invalid: must be in [0, durationUs (1000000))")
      const unknown = yield* Effect.flip(Evaluate.evaluateDamon({ kind: "masim", name: "nope" }, { durationUs: 1e6 }))
      assert.include(unknown.message, "masim: \"nope\" is invalid: must be one of")
      const baseline = yield* Effect.flip(Evaluate.evaluateBaseline(stairs, { durationUs: 1e6, nrRegions: 0 }))
      assert.strictEqual(baseline.message, "nrRegions: 0 is invalid: must be an integer >= 1")
    }))

  it.effect("a malformed trace fails the run at once with its line number", () =>
    Effect.gen(function*() {
      const dir = testTempDir("effect-damon-bad-")
      const path = join(dir, "bad.lackey")
      writeFileSync(path, `${"I  0401000,4\n".repeat(1000)} L 1000,zz\n${"I  0401000,4\n".repeat(1000)}`)
      const e = yield* Effect.flip(Evaluate.evaluateDamon({ kind: "trace", path, accessesPerUs: 0.001 }, { durationUs: 3_600_000_000 }))
      assert.strictEqual(e.message, `${path}:1001: " L 1000,zz" is invalid: the size must be a decimal number of bytes`)
      const skipped = yield* Evaluate.evaluateDamon({ kind: "trace", path, accessesPerUs: 1, skipBadLines: true }, { durationUs: 1_000_000 })
      assert.strictEqual(skipped.windows.length, 10)
    }))

  it.effect("the report's text: both monitors, percentiles, the definitions", () =>
    Effect.gen(function*() {
      const c = yield* AccuracyReport.reportAccuracy({ workload: stairs, durationUs: 1_000_000 })
      const text = AccuracyReport.formatComparison(c)
      assert.match(text, /^# accuracy on stairs: 10 windows over 1 s; sample 5000 us, aggr 100000 us, regions 10\.\.1000\n/)
      assert.include(text, "## DAMON (adaptive regions): ")
      assert.include(text, "## baseline (fixed regions, no split/merge): ")
      assert.match(text, /\nWSS error % +[\d.]+ +[\d.]+ +[\d.]+ +[\d.]+ +[\d.]+ +[\d.]+ +10\n/)
      assert.include(text, "hot = accessed in >= 50% of ticks")
    }))
})
