/**
 * Kernel kunit ports for the access-rate arithmetic (core-kunit.h, ~v6.19 copy "B") and property
 * tests of the per-sample moving sum behind `nrAccessesBp`.
 */
import { describe, it } from "@effect/vitest"
import { assert } from "../support/loopAssert.ts"
import {
  accessesBpToNrAccesses,
  canRescale,
  movingSum,
  nrAccessesToAccessesBp,
  rescaleAge,
  updateMonitoringResult,
  updateRegionAccessRate
} from "../../src/core/AccessRate.ts"
import { resetAggregated } from "../../src/core/RegionAdjust.ts"
import { makeRng } from "../../src/core/Rng.ts"
import * as Attrs from "../../src/model/Attrs.ts"
import * as DamonCtx from "../../src/model/DamonCtx.ts"
import * as Region from "../../src/model/Region.ts"
import * as Target from "../../src/model/Target.ts"

const attrsOf = (sampleIntervalUs: number, aggrIntervalUs: number): Attrs.Attrs => ({
  ...Attrs.defaults,
  sampleIntervalUs,
  aggrIntervalUs
})

describe("AccessRate", () => {
  it("damon_test_nr_accesses_to_accesses_bp", () => {
    // port: damon_test_nr_accesses_to_accesses_bp (mm/damon/tests/core-kunit.h)
    const attrs = attrsOf(10, (0xffff_ffff + 1) * 10)
    assert.notStrictEqual(attrs.aggrIntervalUs, 0)
    assert.strictEqual(nrAccessesToAccessesBp(123, attrs), 0)
  })

  it("damon_test_update_monitoring_result", () => {
    // port: damon_test_update_monitoring_result (mm/damon/tests/core-kunit.h)
    const oldAttrs = attrsOf(10, 1000)
    const r = Region.make(3, 7)
    r.nrAccesses = 15
    r.nrAccessesBp = 150000
    r.age = 20

    updateMonitoringResult(r, oldAttrs, attrsOf(100, 10000), false)
    assert.strictEqual(r.nrAccesses, 15)
    assert.strictEqual(r.age, 2)

    updateMonitoringResult(r, oldAttrs, attrsOf(1, 1000), false)
    assert.strictEqual(r.nrAccesses, 150)
    assert.strictEqual(r.age, 2)

    updateMonitoringResult(r, oldAttrs, attrsOf(1, 100), false)
    assert.strictEqual(r.nrAccesses, 150)
    assert.strictEqual(r.age, 20)
  })

  it("age rescaling is exact where the product exceeds 2^53, and wraps at 2^64 like the kernel", () => {
    const r = Region.make(0, 4096)
    r.age = 4294965249
    updateMonitoringResult(r, attrsOf(1, 2097153), attrsOf(2, 2097153), false)
    assert.strictEqual(r.age, 4294965249)
    assert.strictEqual(rescaleAge(3, 7, 2), 10)
    // an unsigned long product past 2^64 wraps before the division (old aggregation interval 2^40 us)
    assert.strictEqual(rescaleAge(2 ** 31, 2 ** 40, 1), 0)
    assert.strictEqual(rescaleAge(2 ** 31 + 1, 2 ** 40, 2 ** 40), 1, "(2^71 + 2^40) mod 2^64 / 2^40")
  })

  it("damon_test_moving_sum", () => {
    // port: damon_test_moving_sum (mm/damon/tests/core-kunit.h)
    let mvsum = 50000
    const nomvsum = 50000
    const lenWindow = 10
    const newValues = [10000, 0, 10000, 0, 0, 0, 10000, 0, 0, 0]
    const expects = [55000, 50000, 55000, 50000, 45000, 40000, 45000, 40000, 35000, 30000]
    newValues.forEach((v, i) => {
      mvsum = movingSum(mvsum, nomvsum, lenWindow, v)
      assert.strictEqual(mvsum, expects[i])
    })
  })

  it("updateMonitoringResult mid-window converts the last window's result and restarts the current one", () => {
    const r = Region.make(0, 10)
    r.nrAccesses = 7
    r.lastNrAccesses = 15
    r.nrAccessesBp = 123
    r.age = 20
    updateMonitoringResult(r, attrsOf(10, 1000), attrsOf(1, 1000), true)
    assert.strictEqual(r.lastNrAccesses, 150)
    assert.strictEqual(r.nrAccessesBp, 1_500_000)
    assert.strictEqual(r.nrAccesses, 0)
    assert.strictEqual(r.age, 20)
  })

  it("accessesBpToNrAccesses inverts nrAccessesToAccessesBp on whole percentages", () => {
    const attrs = attrsOf(5000, 100_000) // 20 samples per window
    for (let nr = 0; nr <= 20; nr++) {
      assert.strictEqual(nrAccessesToAccessesBp(nr, attrs), nr * 500)
      assert.strictEqual(accessesBpToNrAccesses(nrAccessesToAccessesBp(nr, attrs), attrs), nr)
    }
  })

  it("canRescale is false when any old or new sample or aggregation interval is zero", () => {
    const ok = attrsOf(10, 100)
    assert.isTrue(canRescale(ok, ok))
    assert.isFalse(canRescale(attrsOf(0, 100), ok))
    assert.isFalse(canRescale(attrsOf(10, 0), ok))
    assert.isFalse(canRescale(ok, attrsOf(0, 100)))
    assert.isFalse(canRescale(ok, attrsOf(10, 0)))
  })

  it("updateRegionAccessRate uses a one-sample window when the sampling interval is 0", () => {
    const r = Region.make(0, 10)
    r.lastNrAccesses = 2
    r.nrAccessesBp = 20000
    updateRegionAccessRate(r, true, attrsOf(0, 100))
    // 20000 - 20000 / 1 + 10000
    assert.strictEqual(r.nrAccessesBp, 10000)
    assert.strictEqual(r.nrAccesses, 1)
  })

  describe("properties", () => {
    it("after max_nr_accesses samples from a reset, nrAccessesBp == nrAccesses * 10000 (seeded)", () => {
      // Each sample drops floor(last * 10000 / len); over a whole window that removes
      // last * 10000 - (last * 10000 % len), so the kernel's invariant is exact when len divides
      // last * 10000 and otherwise off by exactly that remainder (which reset_aggregated repairs).
      const divisors = [1, 2, 4, 5, 8, 10, 16, 20, 25, 40, 50, 80, 100, 125, 200, 250, 400, 500]
      let exact = 0
      for (let seed = 0; seed < 200; seed++) {
        const rng = makeRng(seed)
        const len = seed % 3 === 0 ? rng.rand(1, 300) : divisors[rng.rand(0, divisors.length)]!
        const sample = rng.rand(1, 10_000)
        const attrs = attrsOf(sample, sample * len + rng.rand(0, sample))
        assert.strictEqual(Attrs.maxNrAccesses(attrs), len)
        const ctx = DamonCtx.make("paddr")
        ctx.attrs = attrs
        const r = Region.make(0, 4096)
        ctx.targets.push(Target.make(null, [r]))
        // a previous window ended with `last` accesses, then kdamond_reset_aggregated()
        r.nrAccesses = rng.rand(0, len + 1)
        r.nrAccessesBp = r.nrAccesses * 10000
        assert.strictEqual(resetAggregated(ctx), 0)
        const p = rng.float()
        for (let window = 0; window < 3; window++) {
          const last = r.lastNrAccesses
          const drop = Math.floor((last * 10000) / len)
          let accessed = 0
          for (let k = 1; k <= len; k++) {
            const hit = rng.float() < p
            if (hit) accessed++
            updateRegionAccessRate(r, hit, attrs)
            assert.strictEqual(r.nrAccessesBp, last * 10000 - k * drop + accessed * 10000, `seed ${seed} k ${k}`)
          }
          assert.strictEqual(r.nrAccesses, accessed)
          const rem = (last * 10000) % len
          assert.strictEqual(r.nrAccessesBp, r.nrAccesses * 10000 + rem, `seed ${seed} window ${window}`)
          if (rem === 0) exact++
          assert.strictEqual(resetAggregated(ctx), rem === 0 ? 0 : 1)
          assert.strictEqual(r.lastNrAccesses, accessed)
          assert.strictEqual(r.nrAccesses, 0)
        }
      }
      assert.isAbove(exact, 300)
    })
  })
})
