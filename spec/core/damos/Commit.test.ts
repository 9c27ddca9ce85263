import { assert, describe, it } from "@effect/vitest"
import {
  commitDests,
  commitFilter,
  commitFilters,
  commitQuota,
  commitQuotaGoal,
  commitQuotaGoals,
  commitScheme,
  commitSchemes
} from "../../../src/core/damos/Commit.ts"
import { fromConfig, goalStateOf, quotaStateOf } from "../../../src/core/damos/DamosConfig.ts"
import { make as makeFilter } from "../../../src/core/damos/Filters.ts"
import type { Filter, GoalState, MigrateDest, QuotaGoal, SchemeConfig } from "../../../src/model/Damos.ts"
import { config, ctxOf, scheme, target } from "./fixtures.ts"

const goal = (metric: QuotaGoal["metric"], targetValue: number, extra: Partial<QuotaGoal> = {}): QuotaGoal => ({
  metric,
  targetValue,
  currentValue: 0,
  nid: 0,
  memcgId: 0,
  ...extra
})

describe("Commit", () => {
  // port: damos_test_commit_quota_goal (mm/damon/tests/core-kunit.h)
  it("damos_test_commit_quota_goal", () => {
    const dst: GoalState = {
      metric: "some_mem_psi_us",
      targetValue: 1000,
      currentValue: 123,
      nid: 0,
      memcgId: 0,
      lastPsiTotal: 456
    }
    const commitFor = (src: QuotaGoal): void => {
      const dstLast = dst.metric === "some_mem_psi_us" ? dst.lastPsiTotal : 0
      commitQuotaGoal(dst, src)
      assert.strictEqual(dst.metric, src.metric)
      assert.strictEqual(dst.targetValue, src.targetValue)
      if (src.metric === "user_input") assert.strictEqual(dst.currentValue, src.currentValue)
      if (dstLast !== 0 && src.metric === "some_mem_psi_us") assert.strictEqual(dst.lastPsiTotal, dstLast)
      switch (dst.metric) {
        case "node_mem_used_bp":
        case "node_mem_free_bp":
          assert.strictEqual(dst.nid, src.nid)
          break
        case "node_memcg_used_bp":
        case "node_memcg_free_bp":
          assert.strictEqual(dst.nid, src.nid)
          assert.strictEqual(dst.memcgId, src.memcgId)
          break
        default:
          break
      }
    }
    commitFor(goal("user_input", 789, { currentValue: 12 }))
    commitFor(goal("node_mem_free_bp", 345, { currentValue: 678, nid: 9 }))
    commitFor(goal("node_mem_used_bp", 12, { currentValue: 345, nid: 6 }))
    commitFor(goal("node_memcg_used_bp", 456, { currentValue: 567, nid: 6, memcgId: 7 }))
    commitFor(goal("node_memcg_free_bp", 890, { currentValue: 901, nid: 10, memcgId: 1 }))
    commitFor(goal("some_mem_psi_us", 234, { currentValue: 345 }))
  })

  it("commitQuotaGoal - keeps lastPsiTotal and measured current values; copies node_eligible_mem_bp's nid", () => {
    const dst = goalStateOf(goal("some_mem_psi_us", 1000, { currentValue: 123 }))
    dst.lastPsiTotal = 456
    commitQuotaGoal(dst, goal("some_mem_psi_us", 234, { currentValue: 345 }))
    assert.strictEqual(dst.lastPsiTotal, 456)
    assert.strictEqual(dst.currentValue, 123)
    commitQuotaGoal(dst, goal("node_eligible_mem_bp", 12, { nid: 6 }))
    assert.strictEqual(dst.nid, 6)
  })

  // port: damos_test_commit_quota_goals (mm/damon/tests/core-kunit.h)
  it("damos_test_commit_quota_goals", () => {
    const commitGoalsFor = (dstGoals: ReadonlyArray<QuotaGoal>, srcGoals: ReadonlyArray<QuotaGoal>): void => {
      const dst = quotaStateOf({ ...config().quota, goals: dstGoals })
      commitQuotaGoals(dst, srcGoals)
      let i = 0
      for (const g of dst.goals) {
        assert.strictEqual(g.metric, srcGoals[i]!.metric)
        assert.strictEqual(g.targetValue, srcGoals[i]!.targetValue)
        i++
      }
      assert.strictEqual(i, srcGoals.length)
    }
    commitGoalsFor([], [goal("user_input", 123)])
    commitGoalsFor([goal("user_input", 234)], [goal("user_input", 345)])
    commitGoalsFor([goal("user_input", 456)], [])
  })

  it("commitQuotaGoals - new goals get the full commit (R2)", () => {
    const dst = quotaStateOf(config().quota)
    commitQuotaGoals(dst, [goal("user_input", 5, { currentValue: 3 }), goal("node_mem_used_bp", 7, { nid: 2 })])
    assert.deepStrictEqual(dst.goals[0], { ...goal("user_input", 5, { currentValue: 3 }), lastPsiTotal: 0 })
    assert.strictEqual(dst.goals[1]!.nid, 2)
  })

  // port: damos_test_commit_quota (mm/damon/tests/core-kunit.h); fail_charge_* are NEXT-only.
  it("damos_test_commit_quota", () => {
    const dst = quotaStateOf({
      resetIntervalMs: 1,
      ms: 2,
      sz: 3,
      goals: [],
      goalTuner: "consist",
      weightSz: 4,
      weightNrAccesses: 5,
      weightAge: 6
    })
    const src = {
      resetIntervalMs: 7,
      ms: 8,
      sz: 9,
      goals: [],
      goalTuner: "temporal",
      weightSz: 10,
      weightNrAccesses: 11,
      weightAge: 12
    } as const
    commitQuota(dst, src)
    assert.strictEqual(dst.resetIntervalMs, src.resetIntervalMs)
    assert.strictEqual(dst.ms, src.ms)
    assert.strictEqual(dst.sz, src.sz)
    assert.strictEqual(dst.goalTuner, src.goalTuner)
    assert.strictEqual(dst.weightSz, src.weightSz)
    assert.strictEqual(dst.weightNrAccesses, src.weightNrAccesses)
    assert.strictEqual(dst.weightAge, src.weightAge)
  })

  // port: damos_test_commit_dests (mm/damon/tests/core-kunit.h)
  it("damos_test_commit_dests", () => {
    const dests = (ids: ReadonlyArray<number>, weights: ReadonlyArray<number>): Array<MigrateDest> =>
      ids.map((nid, i) => ({ nid, weight: weights[i]! }))
    const commitDestsFor = (dst: Array<MigrateDest>, src: Array<MigrateDest>): void => {
      const s = scheme(ctxOf())
      s.dests = dst
      commitDests(s, src)
      assert.strictEqual(s.dests.length, src.length)
      for (let i = 0; i < src.length; i++) {
        assert.strictEqual(s.dests[i]!.nid, src[i]!.nid)
        assert.strictEqual(s.dests[i]!.weight, src[i]!.weight)
      }
    }
    commitDestsFor(dests([1, 2, 3], [2, 3, 4]), dests([4, 5, 6], [5, 6, 7]))
    commitDestsFor(dests([1, 2], [2, 3]), dests([4, 5, 6], [5, 6, 7]))
    commitDestsFor([], dests([4, 5, 6], [5, 6, 7]))
    commitDestsFor(dests([1, 2, 3], [2, 3, 4]), dests([4, 5], [5, 6]))
    commitDestsFor(dests([1, 2, 3], [2, 3, 4]), [])
  })

  // port: damos_test_commit_filter (mm/damon/tests/core-kunit.h)
  it("damos_test_commit_filter", () => {
    let dst: Filter = makeFilter("active", false, false)
    const commitFilterFor = (src: Filter): void => {
      dst = commitFilter(dst, src)
      assert.strictEqual(dst.type, src.type)
      assert.strictEqual(dst.matching, src.matching)
      assert.strictEqual(dst.allow, src.allow)
      if (dst.type === "memcg" && src.type === "memcg") assert.strictEqual(dst.memcgId, src.memcgId)
      if (dst.type === "addr" && src.type === "addr") {
        assert.strictEqual(dst.addrRange.start, src.addrRange.start)
        assert.strictEqual(dst.addrRange.end, src.addrRange.end)
      }
      if (dst.type === "target" && src.type === "target") assert.strictEqual(dst.targetIdx, src.targetIdx)
      if (dst.type === "hugepage_size" && src.type === "hugepage_size") {
        assert.strictEqual(dst.szRange.min, src.szRange.min)
        assert.strictEqual(dst.szRange.max, src.szRange.max)
      }
    }
    commitFilterFor({ type: "anon", matching: true, allow: true })
    commitFilterFor({ type: "memcg", matching: false, allow: false, memcgId: 123 })
    commitFilterFor({ type: "young", matching: true, allow: true })
    commitFilterFor({ type: "hugepage_size", matching: false, allow: false, szRange: { min: 234, max: 345 } })
    commitFilterFor({ type: "unmapped", matching: true, allow: true })
    commitFilterFor({ type: "addr", matching: false, allow: false, addrRange: { start: 456, end: 567 } })
    commitFilterFor({ type: "target", matching: true, allow: true, targetIdx: 6 })
  })

  it("commitFilters - core and ops lists committed separately by index, then default-reject recomputed", () => {
    const ctx = ctxOf()
    const s = scheme(ctx, {
      filters: [
        { type: "anon", matching: true, allow: false },
        { type: "addr", matching: true, allow: false, addrRange: { start: 0, end: 4096 } },
        { type: "young", matching: true, allow: false }
      ]
    })
    assert.strictEqual(s.coreFilters.length, 1)
    assert.strictEqual(s.opsFilters.length, 2)
    commitFilters(s, [
      { type: "target", matching: true, allow: true, targetIdx: 1 },
      { type: "memcg", matching: true, allow: false, memcgId: 3 },
      { type: "addr", matching: false, allow: true, addrRange: { start: 4096, end: 8192 } }
    ])
    assert.deepStrictEqual(s.coreFilters.map((f) => f.type), ["target", "addr"])
    assert.deepStrictEqual(s.opsFilters.map((f) => f.type), ["memcg"])
    assert.isFalse(s.coreFiltersDefaultReject)
    assert.isFalse(s.opsFiltersDefaultReject)
    commitFilters(s, [{ type: "target", matching: true, allow: true, targetIdx: 1 }])
    assert.strictEqual(s.opsFilters.length, 0)
    assert.isTrue(s.coreFiltersDefaultReject)
  })

  const pageoutDst = (): SchemeConfig => ({
    ...config(),
    pattern: { minSzRegion: 1, maxSzRegion: 2, minNrAccesses: 3, maxNrAccesses: 4, minAgeRegion: 5, maxAgeRegion: 6 },
    action: "pageout",
    applyIntervalUs: 1000000,
    wmarks: { metric: "free_mem_rate", intervalUs: 900, high: 100, mid: 50, low: 0 }
  })

  const commitFor = (dstConfig: SchemeConfig, src: SchemeConfig): void => {
    const dst = fromConfig(dstConfig, ctxOf())
    commitScheme(dst, src)
    assert.deepStrictEqual(dst.pattern, src.pattern)
    assert.strictEqual(dst.action, src.action)
    assert.strictEqual(dst.applyIntervalUs, src.applyIntervalUs)
    assert.strictEqual(dst.wmarks.metric, src.wmarks.metric)
    assert.strictEqual(dst.wmarks.intervalUs, src.wmarks.intervalUs)
    assert.strictEqual(dst.wmarks.high, src.wmarks.high)
    assert.strictEqual(dst.wmarks.mid, src.wmarks.mid)
    assert.strictEqual(dst.wmarks.low, src.wmarks.low)
    if (src.action === "migrate_cold" || src.action === "migrate_hot") assert.strictEqual(dst.targetNid, src.targetNid)
  }

  // port: damos_test_commit_pageout (mm/damon/tests/core-kunit.h)
  it("damos_test_commit_pageout", () => {
    commitFor(pageoutDst(), {
      ...config(),
      pattern: { minSzRegion: 2, maxSzRegion: 3, minNrAccesses: 4, maxNrAccesses: 5, minAgeRegion: 6, maxAgeRegion: 7 },
      action: "pageout",
      applyIntervalUs: 2000000,
      wmarks: { metric: "free_mem_rate", intervalUs: 800, high: 50, mid: 30, low: 0 }
    })
  })

  // port: damos_test_commit_migrate_hot (mm/damon/tests/core-kunit.h)
  it("damos_test_commit_migrate_hot", () => {
    commitFor(pageoutDst(), {
      ...config(),
      pattern: { minSzRegion: 2, maxSzRegion: 3, minNrAccesses: 4, maxNrAccesses: 5, minAgeRegion: 6, maxAgeRegion: 7 },
      action: "migrate_hot",
      applyIntervalUs: 2000000,
      targetNid: 5,
      wmarks: { metric: "none", intervalUs: 0, high: 0, mid: 0, low: 0 }
    })
  })

  it("commitScheme - keeps stats, schedule, walk flag and quota runtime state; re-activates watermarks", () => {
    const t = target([[0, 4096]])
    const ctx = ctxOf([t])
    const s = scheme(ctx, {
      quota: { sz: 65536 },
      wmarks: { metric: "free_mem_rate", intervalUs: 5, high: 3, mid: 2, low: 1 }
    })
    // Numbers of damon_test_commit_ctx_keeps_quota (development tree).
    Object.assign(s.quota, {
      esz: 123,
      eszBp: 456n,
      totalChargedSz: 789,
      totalChargedNs: 1011,
      chargedSz: 12,
      chargedFrom: 13,
      chargeTargetFrom: t,
      chargeAddrFrom: 14,
      minScore: 15
    })
    s.stat.nrTried = 3
    s.nextApplySis = 77
    s.walkCompleted = true
    s.lastApplied = 8192
    s.wmarks.activated = false
    commitScheme(s, config({ action: "cold", quota: { sz: 1 } }))
    assert.strictEqual(s.action, "cold")
    assert.strictEqual(s.quota.sz, 1)
    assert.deepStrictEqual(
      [
        s.quota.esz,
        s.quota.eszBp,
        s.quota.totalChargedSz,
        s.quota.totalChargedNs,
        s.quota.chargedSz,
        s.quota.chargedFrom,
        s.quota.chargeAddrFrom,
        s.quota.minScore
      ],
      [123, 456n, 789, 1011, 12, 13, 14, 15]
    )
    assert.strictEqual(s.quota.chargeTargetFrom, t)
    assert.strictEqual(s.stat.nrTried, 3)
    assert.strictEqual(s.nextApplySis, 77)
    assert.isTrue(s.walkCompleted)
    assert.strictEqual(s.lastApplied, 8192)
    assert.isTrue(s.wmarks.activated)
    assert.strictEqual(s.wmarks.metric, "none")
  })

  it("commitSchemes - by position: commit matched, drop extra, add new ones due one interval later", () => {
    const ctx = ctxOf()
    ctx.passedSampleIntervals = 50
    const a = scheme(ctx)
    scheme(ctx)
    a.stat.nrTried = 9
    commitSchemes(ctx, [config({ action: "cold" })])
    assert.strictEqual(ctx.schemes.length, 1)
    assert.strictEqual(ctx.schemes[0], a)
    assert.strictEqual(a.action, "cold")
    assert.strictEqual(a.stat.nrTried, 9)
    ctx.passedSampleIntervals = 60
    commitSchemes(ctx, [config({ action: "cold" }), config({ action: "pageout", applyIntervalUs: 50000 })])
    assert.strictEqual(ctx.schemes.length, 2)
    assert.strictEqual(ctx.schemes[0], a)
    assert.strictEqual(ctx.schemes[1]!.action, "pageout")
    assert.strictEqual(ctx.schemes[1]!.nextApplySis, 60 + 10)
    assert.strictEqual(ctx.schemes[1]!.stat.nrTried, 0)
    commitSchemes(ctx, [])
    assert.strictEqual(ctx.schemes.length, 0)
  })
})
