/**
 * Tests of the monitoring-intervals auto-tuner (`kdamond_tune_intervals()` in mm/damon/core.c).
 * The kernel has no kunit case for it; the numbers follow its formulas.
 */
import { assert, describe, it } from "@effect/vitest"
import { intervalsAdaptationBp, intervalsScore, tuneIntervals } from "../../src/core/IntervalsTune.ts"
import { makeRng } from "../../src/core/Rng.ts"
import * as Attrs from "../../src/model/Attrs.ts"
import * as DamonCtx from "../../src/model/DamonCtx.ts"
import * as Region from "../../src/model/Region.ts"
import * as Target from "../../src/model/Target.ts"

/** One region of 100 bytes; 20 samples per aggregation; goal `accessBp`; sample bounds [1000, 100000]. */
const ctxWith = (accessBp: number, nrAccesses: number, maxSampleUs = 100_000) => {
  const ctx = DamonCtx.make("vaddr")
  ctx.attrs = {
    ...Attrs.defaults,
    sampleIntervalUs: 5000,
    aggrIntervalUs: 100_000,
    aggrSamples: 20,
    intervalsGoal: { accessBp, aggrs: 1, minSampleUs: 1000, maxSampleUs }
  }
  const r = Region.make(0, 100)
  r.nrAccesses = nrAccesses
  r.nrAccessesBp = nrAccesses * 10000
  ctx.targets.push(Target.make(null, [r]))
  return ctx
}

describe("IntervalsTune", () => {
  it("intervalsScore is observed events in bp of accessBp of the maximum", () => {
    // max events 100 * 20 = 2000; goal 5% -> 100 target events
    assert.strictEqual(intervalsScore(ctxWith(500, 0)), 0n)
    assert.strictEqual(intervalsScore(ctxWith(500, 1)), 10000n)
    assert.strictEqual(intervalsScore(ctxWith(500, 3)), 30000n)
    // a zero target counts as one event
    assert.strictEqual(intervalsScore(ctxWith(0, 2)), 2000000n)
  })

  it("at the goal nothing changes", () => {
    const ctx = ctxWith(500, 1)
    assert.strictEqual(intervalsAdaptationBp(ctx), 10000)
    const before = ctx.attrs
    assert.isUndefined(tuneIntervals(ctx))
    assert.strictEqual(ctx.attrs, before)
  })

  it("too few events grow both intervals (up to 2x), keeping aggrSamples", () => {
    const ctx = ctxWith(500, 0)
    assert.strictEqual(intervalsAdaptationBp(ctx), 20000)
    const next = tuneIntervals(ctx)
    assert.strictEqual(next?.sampleIntervalUs, 10000)
    assert.strictEqual(next?.aggrIntervalUs, 200_000)
    assert.strictEqual(ctx.attrs.sampleIntervalUs, 10000)
    assert.strictEqual(ctx.attrs.aggrSamples, 20)
    // clamped to maxSampleUs
    const capped = ctxWith(500, 0, 7000)
    assert.strictEqual(tuneIntervals(capped)?.sampleIntervalUs, 7000)
    assert.strictEqual(capped.attrs.aggrIntervalUs, 140_000)
  })

  it("too many events shrink the intervals, at most to half per step", () => {
    // score 15000 -> feed loop 5e7 -> 5000 -> rescaled to 5000 + 2500
    const ctx = ctxWith(1000, 3)
    assert.strictEqual(intervalsScore(ctx), 15000n)
    assert.strictEqual(intervalsAdaptationBp(ctx), 7500)
    assert.strictEqual(tuneIntervals(ctx)?.sampleIntervalUs, 3750)
    // score >= 20000 -> minimum input -> 5000 + 0
    const far = ctxWith(500, 20)
    assert.strictEqual(intervalsAdaptationBp(far), 5000)
    assert.strictEqual(tuneIntervals(far)?.sampleIntervalUs, 2500)
    assert.strictEqual(far.attrs.aggrIntervalUs, 50_000)
  })

  it("the adaptation stays within [5000, 20000] bp and the sample interval within its bounds (seeded)", () => {
    for (let seed = 0; seed < 200; seed++) {
      const rng = makeRng(seed)
      const ctx = ctxWith(rng.rand(0, 10001), rng.rand(0, 21), rng.rand(1000, 200_000))
      ctx.targets[0]!.regions.push(Region.make(100, 100 + rng.rand(1, 1 << 20)))
      ctx.targets[0]!.regions[1]!.nrAccesses = rng.rand(0, 21)
      const bp = intervalsAdaptationBp(ctx)
      assert.isAtLeast(bp, 5000)
      assert.isAtMost(bp, 20000)
      const next = tuneIntervals(ctx)
      if (next !== undefined) {
        assert.isAtLeast(next.sampleIntervalUs, 1000)
        assert.isAtMost(next.sampleIntervalUs, ctx.attrs.intervalsGoal.maxSampleUs)
        assert.strictEqual(next.aggrIntervalUs, next.sampleIntervalUs * 20)
      }
    }
  })
})
