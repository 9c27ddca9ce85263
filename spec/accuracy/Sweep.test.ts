/**
 * Sweeps: the grid's combinations (invalid ones skipped with the reason), the Pareto front, the
 * same results whatever the number of worker threads, bad options refused before any work, and
 * the table and the picture.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Result } from "effect"
import { Sweep, SweepReport } from "effect-damon/accuracy"
import { Render } from "effect-damon/report"

const point = (index: number, checksPerSec: number, wssErrorPct: number | null) => {
  const summary = { count: 0, missing: 0, mean: null, min: null, p10: null, p25: null, median: null, p75: null, p90: null, max: null }
  return {
    index,
    attrs: {
      sampleIntervalUs: 5000,
      aggrIntervalUs: 100_000,
      opsUpdateIntervalUs: 60_000_000,
      intervalsGoal: { accessBp: 0, aggrs: 0, minSampleUs: 0, maxSampleUs: 0 },
      minNrRegions: 10,
      maxNrRegions: 1000,
      aggrSamples: 0
    },
    checksPerSec,
    checksPerSample: checksPerSec / 200,
    wssErrorPct,
    hotPrecision: null,
    hotRecall: null,
    hotF1: null,
    summary: { wssErrorPct: summary, hotPrecision: summary, hotRecall: summary, coldPrecision: summary, coldRecall: summary },
    pooled: { wssErrorPct: null, hotPrecision: null, hotRecall: null }
  }
}

const small: Sweep.SweepOptions = {
  workload: { kind: "masim", name: "stairs" },
  grid: { sampleIntervalUs: [5000, 10_000], maxNrRegions: [20, 200] },
  durationUs: 1_500_000
}

describe("Sweep", () => {
  it("the grid's combinations in order; combinations the attrs rules refuse are skipped with the reason", () => {
    const { settings, skipped } = Sweep.expandGrid({
      sampleIntervalUs: [5000, 200_000],
      aggrIntervalUs: [100_000],
      minNrRegions: [10],
      intervalsGoal: [null, { accessBp: 400, aggrs: 3, minSampleUs: 1000, maxSampleUs: 10_000 }]
    }, { opsUpdateIntervalUs: 2_000_000 })
    assert.deepStrictEqual(settings.map((a) => [a.sampleIntervalUs, a.intervalsGoal.aggrs, a.opsUpdateIntervalUs]), [[5000, 0, 2_000_000], [5000, 3, 2_000_000]])
    assert.strictEqual(Sweep.expandGrid({}).settings[0]!.opsUpdateIntervalUs, 1_000_000, "accuracy runs re-read mappings every second")
    assert.deepStrictEqual(skipped.map((s) => s.reason), [
      "attrs.sampleIntervalUs: 200000 is invalid: must be <= aggrIntervalUs (100000)",
      "attrs.sampleIntervalUs: 200000 is invalid: must be within intervalsGoal [minSampleUs, maxSampleUs] = [1000, 10000] while intervalsGoal.aggrs != 0"
    ])
  })

  it("the Pareto front: no other point is as cheap and as accurate and better in one; undefined figures are off it", () => {
    const points = [point(0, 100, 10), point(1, 200, 5), point(2, 200, 8), point(3, 50, 20), point(4, 300, 5), point(5, 400, null), point(6, 100, 10)]
    assert.deepStrictEqual(Sweep.markPareto(points, "wssErrorPct").map((p) => p.pareto), [true, true, false, true, false, false, true])
  })

  it("workers take the costliest settings first (region checks over the run), ties in grid order", () => {
    const { settings } = Sweep.expandGrid({ sampleIntervalUs: [2500, 5000], maxNrRegions: [100, 1000] })
    const costs = settings.map((a) => Sweep.expectedCost(a, 10_000_000))
    assert.deepStrictEqual(costs, [400_000, 4_000_000, 200_000, 2_000_000])
    assert.deepStrictEqual(Sweep.dispatchOrder(costs), [1, 3, 0, 2])
    assert.deepStrictEqual(Sweep.dispatchOrder([1, 2, 2, 1]), [1, 2, 0, 3])
  })

  it.effect("the same results with 1 and 2 worker threads, and in this thread; progress after each setting", () =>
    Effect.gen(function*() {
      const heard: Array<Array<Sweep.SweepProgress>> = [[], [], []]
      const hooks = (i: number): Sweep.SweepHooks => ({ onProgress: (p) => Effect.sync(() => void heard[i]!.push(p)) })
      const one = yield* Sweep.run({ ...small, workers: 1 }, hooks(0))
      const two = yield* Sweep.run({ ...small, workers: 2 }, hooks(1))
      const here = yield* Sweep.run({ ...small, workers: 0 }, hooks(2))
      assert.strictEqual(one.points.length, 4)
      assert.deepStrictEqual(two.points, one.points)
      assert.deepStrictEqual(here.points, one.points)
      assert.isTrue(one.points.some((p) => p.pareto))
      // small's settings: sample 5000 us twice and 10 000 us twice, so 1/3 of the samples each, 1/6 each
      for (const ps of heard) {
        assert.deepStrictEqual(ps.map((p) => [p.done, p.total]), [[1, 4], [2, 4], [3, 4], [4, 4]])
        assert.strictEqual(ps[3]!.fraction, 1)
        for (let i = 1; i < ps.length; i++) assert.isAbove(ps[i]!.fraction, ps[i - 1]!.fraction)
      }
      // in this thread, in grid order: 5000/20, 5000/200, 10000/20, 10000/200
      assert.deepStrictEqual(heard[2]!.map((p) => p.fraction.toFixed(4)), ["0.3333", "0.6667", "0.8333", "1.0000"])
    }), 120_000)

  it.effect("bad options are refused before any work, naming the field", () =>
    Effect.gen(function*() {
      const fail = (options: Sweep.SweepOptions) => Effect.flip(Sweep.run(options)).pipe(Effect.map((e) => e.message))
      assert.strictEqual(yield* fail({ ...small, workers: -1 }), "workers: -1 is invalid: must be an integer in [0, 256]")
      assert.strictEqual(yield* fail({ ...small, durationUs: -5 }), "durationUs: -5 is invalid: must be a positive finite number of microseconds")
      assert.strictEqual(
        yield* fail({ ...small, grid: { sampleIntervalUs: [1e9] } }),
        `grid: "{\\"sampleIntervalUs\\":[1000000000]}" is invalid: has no valid setting (refused: attrs.sampleIntervalUs: 1000000000 is invalid: must be <= aggrIntervalUs (100000))`
      )
      const axis = Array.from({ length: 100 }, (_, i) => 3 + i)
      assert.strictEqual(
        yield* fail({ ...small, grid: { minNrRegions: axis, maxNrRegions: axis.map((n) => n * 10), intervalsGoal: [null, null] } }),
        `grid: "20000 combinations" is invalid: must make at most ${Sweep.maxGridCombinations}`
      )
      assert.include(yield* fail({ ...small, workload: { kind: "trace", path: "/nonexistent", accessesPerUs: 1 } }), "trace.path: \"/nonexistent\" is invalid: cannot be read")
    }))

  it("plan: the settings in grid order, refused ones listed, every setting's evaluation, nothing run", () => {
    const planned = Sweep.plan({ grid: { sampleIntervalUs: [5000, 200_000], maxNrRegions: [100, 5] }, durationUs: 1_000_000, seed: 3, workers: 1 })
    assert.isTrue(Result.isSuccess(planned))
    const p = Result.getOrThrow(planned)
    assert.deepStrictEqual(p.settings.map((a) => [a.sampleIntervalUs, a.maxNrRegions]), [[5000, 100]])
    assert.deepStrictEqual(p.skipped.map((s) => s.reason), [
      "attrs.minNrRegions: 10 is invalid: must be <= maxNrRegions (5)",
      "attrs.sampleIntervalUs: 200000 is invalid: must be <= aggrIntervalUs (100000)",
      "attrs.minNrRegions: 10 is invalid: must be <= maxNrRegions (5)"
    ])
    assert.deepStrictEqual(p.evaluations.map((e) => [e.durationUs, e.seed, e.truthTickUs, e.hotThreshold]), [[1_000_000, 3, 5000, 0.5]])
    assert.strictEqual(p.workers, 1)
    assert.strictEqual(p.metric, "wssErrorPct")
  })

  it.effect("the table marks the front; the picture renders to SVG without warnings", () =>
    Effect.gen(function*() {
      const result = yield* Sweep.run({ ...small, workers: 0, durationUs: 500_000 })
      const table = SweepReport.formatTable(result)
      const lines = table.split("\n")
      assert.match(lines[0]!, /^# sweep of stairs: 4 settings, 0\.5 s each, truth tick 5000 us, hot from 0\.5; \* = Pareto front/)
      assert.strictEqual(lines.length, 6)
      assert.strictEqual(lines.slice(2).filter((l) => l.startsWith("*")).length, result.points.filter((p) => p.pareto).length)
      const svg = yield* Render.toSvg(SweepReport.sweepSpec(result))
      assert.deepStrictEqual(svg.warnings, [])
      assert.include(svg.svg, "pages checked per second")
      assert.include(svg.svg, "Pareto front")
    }), 60_000)
})
