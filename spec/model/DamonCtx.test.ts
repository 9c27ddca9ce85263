/**
 * Kernel kunit port for the context's target list (core-kunit.h, ~v6.19 copy "B").
 */
import { assert, describe, it } from "@effect/vitest"
import * as Attrs from "../../src/model/Attrs.ts"
import * as DamonCtx from "../../src/model/DamonCtx.ts"
import * as Region from "../../src/model/Region.ts"
import * as Target from "../../src/model/Target.ts"

describe("DamonCtx", () => {
  it("damon_test_target", () => {
    // port: damon_test_target (mm/damon/tests/core-kunit.h)
    const c = DamonCtx.make("vaddr")
    const t = Target.make()
    assert.strictEqual(c.targets.length, 0)

    // damon_add_target(c, t): append to the target list
    c.targets.push(t)
    assert.strictEqual(c.targets.length, 1)

    // damon_destroy_target(t, c): unlink from the target list
    c.targets.splice(c.targets.indexOf(t), 1)
    assert.strictEqual(c.targets.length, 0)
  })

  it("make has the damon_new_ctx() defaults", () => {
    const c = DamonCtx.make("paddr")
    assert.deepStrictEqual(c.attrs, Attrs.defaults)
    assert.strictEqual(c.attrs.sampleIntervalUs, 5000)
    assert.strictEqual(c.attrs.aggrIntervalUs, 100_000)
    assert.strictEqual(c.attrs.opsUpdateIntervalUs, 60_000_000)
    assert.strictEqual(c.attrs.minNrRegions, 10)
    assert.strictEqual(c.attrs.maxNrRegions, 1000)
    assert.strictEqual(c.minRegionSz, DamonCtx.DAMON_MIN_REGION_SZ)
    assert.strictEqual(c.addrUnit, 1)
    assert.strictEqual(c.passedSampleIntervals, 0)
    assert.strictEqual(c.nextAggregationSis, 0)
    assert.strictEqual(c.nextOpsUpdateSis, 0)
    assert.strictEqual(c.nextIntervalsTuneSis, 0)
    assert.deepStrictEqual(c.targets, [])
    assert.deepStrictEqual(c.schemes, [])
  })

  it("nrRegions counts regions over all targets; targetHasPid follows the ops id", () => {
    const c = DamonCtx.make("fvaddr")
    c.targets.push(Target.make(1, [Region.make(0, 1), Region.make(1, 2)]), Target.make(2, [Region.make(5, 9)]))
    assert.strictEqual(DamonCtx.nrRegions(c), 3)
    assert.isTrue(DamonCtx.targetHasPid(c))
    assert.isTrue(DamonCtx.targetHasPid(DamonCtx.make("vaddr")))
    assert.isFalse(DamonCtx.targetHasPid(DamonCtx.make("paddr")))
  })
})
