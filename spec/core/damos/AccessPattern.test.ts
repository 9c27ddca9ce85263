import { assert, describe, it } from "@effect/vitest"
import { isValidTargetPattern, quotaIsSet, reachesMinScore } from "../../../src/core/damos/AccessPattern.ts"
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

  it("reachesMinScore - checks the score against minScore only with a quota and a scorer; a fixed score stands for the call", () => {
    const t = target([[0, 4096]])
    const ctx = ctxOf([t])
    const r = t.regions[0]!
    let calls = 0
    const scored: DamonOps = { id: "s", getSchemeScore: () => (calls++, 40) }
    const noQuota = scheme(ctx)
    noQuota.quota.minScore = 50
    assert.isTrue(reachesMinScore(ctx, t, r, noQuota, scored))
    const withQuota = scheme(ctx, { quota: { sz: 4096 } })
    withQuota.quota.minScore = 50
    assert.isFalse(reachesMinScore(ctx, t, r, withQuota, scored))
    withQuota.quota.minScore = 40
    assert.isTrue(reachesMinScore(ctx, t, r, withQuota, scored))
    withQuota.quota.minScore = 99
    assert.isTrue(reachesMinScore(ctx, t, r, withQuota, { id: "plain" }))
    assert.strictEqual(calls, 2, "asked only with a quota in force")
    assert.isTrue(reachesMinScore(ctx, t, r, withQuota, scored, 99))
    assert.isFalse(reachesMinScore(ctx, t, r, withQuota, scored, 98))
    assert.strictEqual(calls, 2, "a fixed score is not asked again")
  })
})
