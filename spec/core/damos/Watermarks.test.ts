import { assert, describe, it } from "@effect/vitest"
import { minWaitUs, readsWmarkMetric, wmarkWaitUs } from "../../../src/core/damos/Watermarks.ts"
import { ctxOf, metrics, scheme } from "./fixtures.ts"

describe("Watermarks", () => {
  const wm = { metric: "free_mem_rate", intervalUs: 5000, high: 500, mid: 400, low: 200 }

  it("wmarkWaitUs - metric none returns 0 and leaves activated alone", () => {
    const s = scheme(ctxOf())
    s.wmarks.activated = false
    assert.strictEqual(wmarkWaitUs(s, metrics(), 0), 0)
    assert.isFalse(s.wmarks.activated)
  })

  it("readsWmarkMetric - only a scheme whose watermarks have a metric reads one (wmarkWaitUs of the others is 0 without reading)", () => {
    const none = scheme(ctxOf())
    let reads = 0
    const counting = metrics({ freeMemRatePermil: () => (reads++, 450) })
    assert.isFalse(readsWmarkMetric(none))
    assert.strictEqual(wmarkWaitUs(none, counting, 0), 0)
    assert.strictEqual(reads, 0)
    const withMetric = scheme(ctxOf(), { wmarks: wm })
    assert.isTrue(readsWmarkMetric(withMetric))
    wmarkWaitUs(withMetric, counting, 0)
    assert.strictEqual(reads, 1)
  })

  it("wmarkWaitUs - hysteresis between low, mid and high", () => {
    let free = 450
    const m = metrics({ freeMemRatePermil: () => free })
    const s = scheme(ctxOf(), { wmarks: wm })
    assert.isTrue(s.wmarks.activated)
    // Active and within [low, high]: stays active.
    assert.strictEqual(wmarkWaitUs(s, m, 0), 0)
    assert.isTrue(s.wmarks.activated)
    free = 501
    assert.strictEqual(wmarkWaitUs(s, m, 0), 5000)
    assert.isFalse(s.wmarks.activated)
    // Inactive within [mid, high]: stays inactive.
    free = 400
    assert.strictEqual(wmarkWaitUs(s, m, 0), 5000)
    assert.isFalse(s.wmarks.activated)
    // Below mid (and >= low): activates.
    free = 399
    assert.strictEqual(wmarkWaitUs(s, m, 0), 0)
    assert.isTrue(s.wmarks.activated)
    free = 199
    assert.strictEqual(wmarkWaitUs(s, m, 0), 5000)
    assert.isFalse(s.wmarks.activated)
    free = 200
    assert.strictEqual(wmarkWaitUs(s, m, 0), 0)
    assert.isTrue(s.wmarks.activated)
  })

  it("wmarkWaitUs - reads the metric at the given instant; no metrics means no watermark", () => {
    const seen: Array<number> = []
    const s = scheme(ctxOf(), { wmarks: wm })
    wmarkWaitUs(s, metrics({ freeMemRatePermil: (now) => (seen.push(now), 450) }), 1234)
    assert.deepStrictEqual(seen, [1234])
    s.wmarks.activated = false
    assert.strictEqual(wmarkWaitUs(s, undefined, 0), 0)
    assert.isFalse(s.wmarks.activated)
  })

  it("minWaitUs - 0 when any scheme is active or there are none, else the smallest interval", () => {
    assert.strictEqual(minWaitUs([], metrics(), 0), 0)
    const ctx = ctxOf()
    const a = scheme(ctx, { wmarks: { ...wm, intervalUs: 7000 } })
    const b = scheme(ctx, { wmarks: wm })
    const m = metrics({ freeMemRatePermil: () => 900 })
    assert.strictEqual(minWaitUs([a, b], m, 0), 5000)
    assert.isFalse(a.wmarks.activated)
    assert.isFalse(b.wmarks.activated)
    const c = scheme(ctx)
    assert.strictEqual(minWaitUs([a, b, c], m, 0), 0)
  })
})
