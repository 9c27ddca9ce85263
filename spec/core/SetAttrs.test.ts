/**
 * Kernel kunit port of `damon_set_attrs()` validation (core-kunit.h, ~v6.19 copy "B") and tests of
 * its side effects: re-phased deadlines and rescaled monitoring results.
 */
import { assert, describe, it } from "@effect/vitest"
import { initSchedule, setAttrs } from "../../src/core/SetAttrs.ts"
import * as Attrs from "../../src/model/Attrs.ts"
import * as DamonCtx from "../../src/model/DamonCtx.ts"
import type { DamonError } from "../../src/model/DamonError.ts"
import * as Region from "../../src/model/Region.ts"
import * as Target from "../../src/model/Target.ts"

const fieldOf = (e: DamonError | undefined): string | undefined =>
  e !== undefined && e.reason._tag === "InvalidArgument" ? e.reason.field : undefined

describe("SetAttrs", () => {
  it("damon_test_set_attrs", () => {
    // port: damon_test_set_attrs (mm/damon/tests/core-kunit.h)
    const c = DamonCtx.make("vaddr")
    // the kernel's designated initializer leaves every other field zero
    const validAttrs: Attrs.Attrs = {
      sampleIntervalUs: 5000,
      aggrIntervalUs: 100000,
      opsUpdateIntervalUs: 0,
      intervalsGoal: { accessBp: 0, aggrs: 0, minSampleUs: 0, maxSampleUs: 0 },
      minNrRegions: 10,
      maxNrRegions: 1000,
      aggrSamples: 0
    }
    assert.isUndefined(setAttrs(c, validAttrs))

    let err = setAttrs(c, { ...validAttrs, minNrRegions: 1 })
    assert.strictEqual(err?.errno, "EINVAL")
    assert.strictEqual(fieldOf(err), "attrs.minNrRegions")

    err = setAttrs(c, { ...validAttrs, maxNrRegions: 9 })
    assert.strictEqual(err?.errno, "EINVAL")
    assert.strictEqual(fieldOf(err), "attrs.minNrRegions")

    err = setAttrs(c, { ...validAttrs, aggrIntervalUs: 4999 })
    assert.strictEqual(err?.errno, "EINVAL")
    assert.strictEqual(fieldOf(err), "attrs.sampleIntervalUs")
  })

  it("rejected attrs leave the context untouched", () => {
    const c = DamonCtx.make("vaddr")
    c.passedSampleIntervals = 7
    c.nextAggregationSis = 11
    c.nextOpsUpdateSis = 13
    const before = c.attrs
    const err = setAttrs(c, {
      ...Attrs.defaults,
      intervalsGoal: { accessBp: 400, aggrs: 3, minSampleUs: 6000, maxSampleUs: 10000 }
    })
    assert.strictEqual(fieldOf(err), "attrs.sampleIntervalUs")
    assert.strictEqual(c.attrs, before)
    assert.deepStrictEqual([c.passedSampleIntervals, c.nextAggregationSis, c.nextOpsUpdateSis], [7, 11, 13])
  })

  it("setAttrs re-phases deadlines from the current sample count and derives aggrSamples", () => {
    const c = DamonCtx.make("vaddr")
    c.passedSampleIntervals = 50
    c.nextAggregationSis = 40
    const attrs = (sampleIntervalUs: number, aggrIntervalUs: number, opsUpdateIntervalUs: number): Attrs.Attrs => ({
      ...Attrs.defaults,
      sampleIntervalUs,
      aggrIntervalUs,
      opsUpdateIntervalUs
    })
    assert.isUndefined(setAttrs(c, attrs(10, 105, 1000)))
    assert.strictEqual(c.nextAggregationSis, 60)
    assert.strictEqual(c.nextOpsUpdateSis, 150)
    assert.strictEqual(c.attrs.aggrSamples, 10)
    // a zero sampling interval divides as 1
    assert.isUndefined(setAttrs(c, attrs(0, 30, 40)))
    assert.strictEqual(c.nextAggregationSis, 80)
    assert.strictEqual(c.nextOpsUpdateSis, 90)
    assert.strictEqual(c.attrs.aggrSamples, 30)
    // an explicit aggrSamples (as the intervals tuner passes) is kept
    assert.isUndefined(setAttrs(c, { ...Attrs.defaults, aggrSamples: 7 }))
    assert.strictEqual(c.attrs.aggrSamples, 7)
  })

  it("setAttrs rescales results: at a window boundary nrAccesses, mid-window lastNrAccesses", () => {
    const make = (passed: number, nextAggr: number) => {
      const c = DamonCtx.make("vaddr")
      c.attrs = { ...Attrs.defaults, sampleIntervalUs: 10, aggrIntervalUs: 1000 }
      c.passedSampleIntervals = passed
      c.nextAggregationSis = nextAggr
      const r = Region.make(0, 10)
      r.nrAccesses = 15
      r.nrAccessesBp = 150000
      r.lastNrAccesses = 30
      r.age = 20
      c.targets.push(Target.make(null, [r]))
      assert.isUndefined(setAttrs(c, { ...Attrs.defaults, sampleIntervalUs: 1, aggrIntervalUs: 100 }))
      return r
    }
    // passed >= next aggregation: not aggregating
    let r = make(100, 100)
    assert.deepStrictEqual([r.nrAccesses, r.nrAccessesBp, r.lastNrAccesses, r.age], [15, 150000, 30, 200])
    // passed < next aggregation: mid-window
    r = make(99, 100)
    assert.deepStrictEqual([r.nrAccesses, r.nrAccessesBp, r.lastNrAccesses, r.age], [0, 300000, 30, 200])
    // a zero interval on either side skips the conversion
    const c = DamonCtx.make("vaddr")
    c.attrs = { ...Attrs.defaults, sampleIntervalUs: 0, aggrIntervalUs: 1000 }
    const r0 = Region.make(0, 10)
    r0.nrAccesses = 15
    r0.age = 20
    c.targets.push(Target.make(null, [r0]))
    assert.isUndefined(setAttrs(c, { ...Attrs.defaults, sampleIntervalUs: 1, aggrIntervalUs: 100 }))
    assert.deepStrictEqual([r0.nrAccesses, r0.age], [15, 20])
  })

  it("initSchedule sets the first deadlines as kdamond_init_ctx() does", () => {
    const c = DamonCtx.make("vaddr")
    c.attrs = {
      ...Attrs.defaults,
      sampleIntervalUs: 5000,
      aggrIntervalUs: 100_000,
      intervalsGoal: { accessBp: 400, aggrs: 3, minSampleUs: 5000, maxSampleUs: 10000 }
    }
    c.passedSampleIntervals = 99
    initSchedule(c)
    assert.strictEqual(c.passedSampleIntervals, 0)
    assert.strictEqual(c.nextAggregationSis, 20)
    assert.strictEqual(c.nextOpsUpdateSis, 12000)
    assert.strictEqual(c.nextIntervalsTuneSis, 60)
    assert.strictEqual(c.attrs.aggrSamples, 20)
  })
})
