import { assert, describe, it } from "@effect/vitest"
import { CUT_ALL, CUT_ASK, CUT_NONE, isValidTargetPattern, minScoreCut, quotaIsSet } from "../../../src/core/damos/AccessPattern.ts"
import type { DamonOps } from "../../../src/ops/DamonOps.ts"
import { ctxOf, region, scheme, target } from "./fixtures.ts"

describe("AccessPattern", () => {
  const pattern = {
    minSzRegion: 4096,
    maxSzRegion: 8192,
    minNrAccesses: 2,
    maxNrAccesses: 5,
    minAgeRegion: 1,
    maxAgeRegion: 3
  }

  it("isValidTargetPattern - closed bounds on size, accesses and age", () => {
    assert.isTrue(isValidTargetPattern(region(0, 4096, 2, 1), { pattern }))
    assert.isTrue(isValidTargetPattern(region(0, 8192, 5, 3), { pattern }))
    assert.isFalse(isValidTargetPattern(region(0, 4095, 3, 2), { pattern }))
    assert.isFalse(isValidTargetPattern(region(0, 8193, 3, 2), { pattern }))
    assert.isFalse(isValidTargetPattern(region(0, 4096, 1, 2), { pattern }))
    assert.isFalse(isValidTargetPattern(region(0, 4096, 6, 2), { pattern }))
    assert.isFalse(isValidTargetPattern(region(0, 4096, 3, 0), { pattern }))
    assert.isFalse(isValidTargetPattern(region(0, 4096, 3, 4), { pattern }))
  })

  it("isValidTargetPattern - uses nrAccessesBp / 10000, not nrAccesses", () => {
    const r = region(0, 4096, 0, 2)
    r.nrAccessesBp = 29999
    assert.isTrue(isValidTargetPattern(r, { pattern }))
    r.nrAccessesBp = 19999
    r.nrAccesses = 4
    assert.isFalse(isValidTargetPattern(r, { pattern }))
  })

  it("quotaIsSet - any of esz, sz, ms or goals (R2)", () => {
    const ctx = ctxOf()
    const s = scheme(ctx)
    assert.isFalse(quotaIsSet(s.quota))
    assert.isTrue(quotaIsSet({ ...s.quota, esz: 1 }))
    assert.isTrue(quotaIsSet({ ...s.quota, sz: 1 }))
    assert.isTrue(quotaIsSet({ ...s.quota, ms: 1 }))
    const g = scheme(ctx, { quota: { goals: [{ targetValue: 1 }] } })
    assert.isTrue(quotaIsSet(g.quota))
  })

  it("minScoreCut - the score decides only with a quota and a scorer; a fixed score decides for every region at once", () => {
    const ctx = ctxOf([target([[0, 4096]])])
    const scored: DamonOps = { id: "s", getSchemeScore: () => 40 }
    const noQuota = scheme(ctx)
    noQuota.quota.minScore = 50
    assert.strictEqual(minScoreCut(noQuota.quota, scored, Number.NaN), CUT_NONE)
    assert.strictEqual(minScoreCut(noQuota.quota, scored, 0), CUT_NONE, "no quota: even a fixed score below minScore passes")
    const withQuota = scheme(ctx, { quota: { sz: 4096 } })
    withQuota.quota.minScore = 50
    assert.strictEqual(minScoreCut(withQuota.quota, scored, Number.NaN), CUT_ASK)
    assert.strictEqual(minScoreCut(withQuota.quota, { id: "plain" }, Number.NaN), CUT_NONE, "an ops set that does not score")
    assert.strictEqual(minScoreCut(withQuota.quota, scored, 50), CUT_NONE, "a fixed score at minScore")
    assert.strictEqual(minScoreCut(withQuota.quota, scored, 120), CUT_NONE)
    assert.strictEqual(minScoreCut(withQuota.quota, scored, 49.5), CUT_ALL, "a fixed score below minScore")
    const goalOnly = scheme(ctx, { quota: { goals: [{ targetValue: 1 }] } })
    goalOnly.quota.minScore = 10
    assert.strictEqual(minScoreCut(goalOnly.quota, scored, 9), CUT_ALL, "a goal puts a quota in force")
  })
})
