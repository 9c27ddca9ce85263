import { assert, describe, it } from "@effect/vitest"
import {
  adjustQuotaWindow,
  DEFAULT_THROUGHPUT_BYTES_PER_MS,
  ESZ_UNLIMITED,
  nodeEligibleMemBp,
  quotaFull,
  quotaScore,
  setEffectiveQuota,
  setGoalCurrentValue,
  updateMinScore,
  updateMinScores
} from "../../../src/core/damos/Quota.ts"
import { feedLoopNextInput } from "../../../src/core/FeedLoop.ts"
import { makeRng } from "../../../src/core/Rng.ts"
import type { DamonOps } from "../../../src/ops/DamonOps.ts"
import { ctxOf, metrics, region, scheme, target } from "./fixtures.ts"

const K = 4096

describe("Quota", () => {
  // port: damon_test_feed_loop_next_input (mm/damon/tests/core-kunit.h)
  it("damon_test_feed_loop_next_input", () => {
    const lastInput = 900000n
    assert.isTrue(feedLoopNextInput(lastInput, 200n) > lastInput)
    assert.isTrue(feedLoopNextInput(lastInput, 250000000n) < lastInput)
    assert.isTrue(feedLoopNextInput(lastInput, 200n) > feedLoopNextInput(lastInput, 2000n))
  })

  // port: damos_test_esz_goal_temporal (mm/damon/tests/core-kunit.h, development tree)
  // The third row (sz = ULONG_MAX) is not representable: sizes are safe integers (<= 2^53-1).
  it("damos_test_esz_goal_temporal", () => {
    const ctx = ctxOf()
    const s = scheme(ctx, { quota: { goalTuner: "temporal", goals: [{ metric: "user_input", targetValue: 10000 }] } })
    s.quota.goals[0]!.currentValue = 0
    s.quota.sz = 1844674407370955
    setEffectiveQuota(ctx, s, undefined, 0)
    assert.strictEqual(s.quota.esz, 1844674407370955)
    s.quota.sz = 1844674407370956
    setEffectiveQuota(ctx, s, undefined, 0)
    assert.strictEqual(s.quota.esz, 1844674407370955)
  })

  describe("setEffectiveQuota", () => {
    it("size quota only: esz = sz", () => {
      const ctx = ctxOf()
      const s = scheme(ctx, { quota: { sz: 12345 } })
      setEffectiveQuota(ctx, s, undefined, 0)
      assert.strictEqual(s.quota.esz, 12345)
    })

    it("time quota: 4 MiB/ms before any measurement, then measured throughput, capped by sz", () => {
      const ctx = ctxOf()
      const s = scheme(ctx, { quota: { ms: 10 } })
      setEffectiveQuota(ctx, s, undefined, 0)
      assert.strictEqual(s.quota.esz, DEFAULT_THROUGHPUT_BYTES_PER_MS * 10)
      s.quota.totalChargedSz = 1_000_000
      s.quota.totalChargedNs = 1_000_000
      s.quota.ms = 2
      setEffectiveQuota(ctx, s, undefined, 0)
      assert.strictEqual(s.quota.esz, 2_000_000)
      s.quota.sz = 1_500_000
      setEffectiveQuota(ctx, s, undefined, 0)
      assert.strictEqual(s.quota.esz, 1_500_000)
    })

    it("time quota: at least minRegionSz", () => {
      const ctx = ctxOf()
      const s = scheme(ctx, { quota: { ms: 1 } })
      s.quota.totalChargedSz = 1
      s.quota.totalChargedNs = 1_000_000_000
      setEffectiveQuota(ctx, s, undefined, 0)
      assert.strictEqual(s.quota.esz, K)
    })

    it("consist tuner: esz ramps from 1 byte, doubling while the score is 0", () => {
      const ctx = ctxOf()
      const s = scheme(ctx, { quota: { goals: [{ metric: "user_input", targetValue: 100, currentValue: 0 }] } })
      const seen: Array<number> = []
      for (let i = 0; i < 5; i++) {
        setEffectiveQuota(ctx, s, undefined, 0)
        seen.push(s.quota.esz)
      }
      assert.deepStrictEqual(seen, [2, 4, 8, 16, 32])
      // Goal met exactly: unchanged; far over: back to the minimum input (1 byte).
      s.quota.goals[0]!.currentValue = 100
      setEffectiveQuota(ctx, s, undefined, 0)
      assert.strictEqual(s.quota.esz, 32)
      s.quota.goals[0]!.currentValue = 200
      setEffectiveQuota(ctx, s, undefined, 0)
      assert.strictEqual(s.quota.esz, 1)
      assert.strictEqual(s.quota.eszBp, 10000n)
    })

    it("temporal tuner: 0 once the goal is reached, unlimited (as u64 / 10000) without sz", () => {
      const ctx = ctxOf()
      const s = scheme(ctx, { quota: { goalTuner: "temporal", goals: [{ targetValue: 100, currentValue: 100 }] } })
      setEffectiveQuota(ctx, s, undefined, 0)
      assert.strictEqual(s.quota.esz, 0)
      assert.isTrue(quotaFull(s.quota))
      s.quota.goals[0]!.currentValue = 99
      setEffectiveQuota(ctx, s, undefined, 0)
      assert.strictEqual(s.quota.esz, 1844674407370955)
    })

    it("saturates at ESZ_UNLIMITED when throughput * ms exceeds u64", () => {
      const ctx = ctxOf()
      const s = scheme(ctx, { quota: { ms: 1000 } })
      s.quota.totalChargedSz = Number.MAX_SAFE_INTEGER
      s.quota.totalChargedNs = 1
      setEffectiveQuota(ctx, s, undefined, 0)
      assert.strictEqual(s.quota.esz, ESZ_UNLIMITED)
    })
  })

  describe("goal metrics", () => {
    it("some_mem_psi_us is the growth since the previous measurement", () => {
      const ctx = ctxOf()
      const s = scheme(ctx, { quota: { goals: [{ metric: "some_mem_psi_us", targetValue: 100 }] } })
      const g = s.quota.goals[0]!
      let total = 1000
      const m = metrics({ someMemPsiTotalUs: () => total })
      setGoalCurrentValue(ctx, s, g, m, 0)
      assert.strictEqual(g.currentValue, 1000)
      assert.strictEqual(g.lastPsiTotal, 1000)
      total = 1030
      setGoalCurrentValue(ctx, s, g, m, 0)
      assert.strictEqual(g.currentValue, 30)
      total = 1000
      setGoalCurrentValue(ctx, s, g, m, 0)
      assert.strictEqual(g.currentValue, 0)
    })

    it("node and LRU metrics come from SystemMetrics at the given instant", () => {
      const ctx = ctxOf()
      const calls: Array<string> = []
      const m = metrics({
        nodeMemUsedBp: (nid, now) => (calls.push(`used ${nid} ${now}`), 1234),
        nodeMemFreeBp: (nid, now) => (calls.push(`free ${nid} ${now}`), 8766),
        nodeMemcgUsedBp: (nid, memcg, now) => (calls.push(`memcg ${nid} ${memcg} ${now}`), 300),
        activeMemBp: () => 6000,
        inactiveMemBp: () => 4000
      })
      const s = scheme(ctx, {
        quota: {
          goals: [
            { metric: "node_mem_used_bp", targetValue: 1, nid: 1 },
            { metric: "node_mem_free_bp", targetValue: 1, nid: 2 },
            { metric: "node_memcg_used_bp", targetValue: 1, nid: 3, memcgId: 7 },
            { metric: "node_memcg_free_bp", targetValue: 1, nid: 3, memcgId: 7 },
            { metric: "active_mem_bp", targetValue: 1 },
            { metric: "inactive_mem_bp", targetValue: 1 },
            { metric: "user_input", targetValue: 1, currentValue: 42 }
          ]
        }
      })
      for (const g of s.quota.goals) setGoalCurrentValue(ctx, s, g, m, 77)
      assert.deepStrictEqual(s.quota.goals.map((g) => g.currentValue), [1234, 8766, 300, 9700, 6000, 4000, 42])
      assert.deepStrictEqual(calls, ["used 1 77", "free 2 77", "memcg 3 7 77", "memcg 3 7 77"])
    })

    it("without metrics every measured value reads 0", () => {
      const ctx = ctxOf()
      const s = scheme(ctx, { quota: { goals: [{ metric: "node_mem_free_bp", targetValue: 1, currentValue: 5 }] } })
      setGoalCurrentValue(ctx, s, s.quota.goals[0]!, undefined, 0)
      assert.strictEqual(s.quota.goals[0]!.currentValue, 0)
    })

    it("node_eligible_mem_bp: share of pattern-matching bytes on the node (paddr only)", () => {
      const t = target([[0, 2 * K], [2 * K, 4 * K]])
      t.regions[1]!.age = 5
      const ctx = ctxOf([t], { opsId: "paddr" })
      const s = scheme(ctx, { pattern: { maxAgeRegion: 0 } })
      const m = metrics({ nodeOfAddr: (a) => (a < K ? 0 : a < 2 * K ? 1 : 0) })
      assert.strictEqual(nodeEligibleMemBp(ctx, s, 1, m), 5000)
      assert.strictEqual(nodeEligibleMemBp(ctx, s, 0, m), 5000)
      assert.strictEqual(nodeEligibleMemBp(ctx, s, 2, m), 0)
      assert.strictEqual(nodeEligibleMemBp(ctx, s, -1, m), 0)
      // Bytes with no node count for neither side.
      const holes = metrics({ nodeOfAddr: (a) => (a < K ? -1 : 1) })
      assert.strictEqual(nodeEligibleMemBp(ctx, s, 1, holes), 10000)
      ctx.opsId = "vaddr"
      assert.strictEqual(nodeEligibleMemBp(ctx, s, 1, m), 0)
    })

    it("quotaScore - the highest goal score, current * 10000 / target", () => {
      const ctx = ctxOf()
      const s = scheme(ctx, {
        quota: {
          goals: [
            { metric: "user_input", targetValue: 200, currentValue: 100 },
            { metric: "user_input", targetValue: 3, currentValue: 2 }
          ]
        }
      })
      assert.strictEqual(quotaScore(ctx, s, undefined, 0), 6666n)
    })
  })

  describe("adjustQuotaWindow", () => {
    it("does nothing without any quota", () => {
      const ctx = ctxOf()
      const s = scheme(ctx)
      assert.isFalse(adjustQuotaWindow(ctx, s, 100, undefined, 100_000))
      assert.strictEqual(s.quota.chargedFrom, -1)
      assert.strictEqual(s.quota.esz, 0)
    })

    it("opens the first window at time 0, rolls it over on expiry and counts full windows", () => {
      const ctx = ctxOf()
      const s = scheme(ctx, { quota: { sz: 10 * K, resetIntervalMs: 100 } })
      assert.isTrue(adjustQuotaWindow(ctx, s, 0, undefined, 0))
      assert.strictEqual(s.quota.chargedFrom, 0)
      assert.strictEqual(s.quota.esz, 10 * K)
      s.quota.chargedSz = 10 * K
      adjustQuotaWindow(ctx, s, 99, undefined, 99000)
      assert.strictEqual(s.quota.chargedFrom, 0)
      assert.strictEqual(s.stat.qtExceeds, 0)
      adjustQuotaWindow(ctx, s, 100, undefined, 100000)
      assert.strictEqual(s.quota.chargedFrom, 100)
      assert.strictEqual(s.quota.chargedSz, 0)
      assert.strictEqual(s.quota.totalChargedSz, 10 * K)
      assert.strictEqual(s.stat.qtExceeds, 1)
      s.quota.chargedSz = K
      adjustQuotaWindow(ctx, s, 250, undefined, 250000)
      assert.strictEqual(s.stat.qtExceeds, 1)
      assert.strictEqual(s.quota.totalChargedSz, 11 * K)
      // A clock reading before the window start also counts as expired.
      adjustQuotaWindow(ctx, s, 10, undefined, 10000)
      assert.strictEqual(s.quota.chargedFrom, 10)
    })

    it("resetIntervalMs 0: every call opens a new window, even the first (two tuning steps)", () => {
      const ctx = ctxOf()
      const s = scheme(ctx, { quota: { goals: [{ targetValue: 100, currentValue: 0 }] } })
      adjustQuotaWindow(ctx, s, 0, undefined, 0)
      assert.strictEqual(s.quota.eszBp, 40000n)
      assert.strictEqual(s.quota.esz, 4)
      adjustQuotaWindow(ctx, s, 0, undefined, 0)
      assert.strictEqual(s.quota.esz, 8)
    })
  })

  describe("updateMinScore", () => {
    const scoreOf = (nrAccesses: number): number => nrAccesses * 10
    const scorer: DamonOps = { id: "score", getSchemeScore: (_c, _t, r) => scoreOf(r.nrAccesses) }

    it("the highest score whose cumulated bytes reach esz", () => {
      const t = target([])
      t.regions.push(region(0, K, 9), region(K, 2 * K, 8), region(2 * K, 3 * K, 7), region(3 * K, 4 * K, 6))
      const ctx = ctxOf([t])
      const s = scheme(ctx, { quota: { sz: 2 * K } })
      s.quota.esz = 2 * K
      updateMinScore(ctx, s, scorer)
      assert.strictEqual(s.quota.minScore, 80)
      s.quota.esz = 2 * K + 1
      updateMinScore(ctx, s, scorer)
      assert.strictEqual(s.quota.minScore, 70)
      s.quota.esz = 100 * K
      updateMinScore(ctx, s, scorer)
      assert.strictEqual(s.quota.minScore, 0)
    })

    it("counts only pattern-matching regions not rejected by core filters (splitting them)", () => {
      const t = target([])
      t.regions.push(region(0, 4 * K, 9), region(4 * K, 5 * K, 8, 3), region(5 * K, 6 * K, 7))
      const ctx = ctxOf([t])
      const s = scheme(ctx, {
        pattern: { maxAgeRegion: 2 },
        quota: { sz: 2 * K },
        filters: [{ type: "addr", matching: true, allow: false, addrRange: { start: 0, end: 3 * K } }]
      })
      s.quota.esz = 2 * K
      updateMinScore(ctx, s, scorer)
      // [0, 4K) split at 3K: [3K, 4K) scores 90 (1K bytes); [4K, 5K) is too old; [5K, 6K) scores 70.
      assert.strictEqual(t.regions.length, 4)
      assert.strictEqual(s.quota.minScore, 70)
    })

    it("updateMinScores gives every scheme what updateMinScore in order gives: thresholds, flags, regions (300 seeded cases)", () => {
      const rng = makeRng(17)
      const scored: DamonOps = { id: "score", getSchemeScore: (_c, _t, r, s) => r.nrAccesses * 7 + r.age * s.quota.weightAge - 20 }
      const build = (seed: number) => {
        const draw = makeRng(seed)
        const ctx = ctxOf([0, 1].map(() => target([])))
        for (const t of ctx.targets) {
          let at = 0
          for (let i = draw.rand(0, 40); i > 0; i--) {
            const sz = draw.rand(1, 8) * K
            t.regions.push(region(at, at + sz, draw.rand(0, 21), draw.rand(0, 30)))
            at += sz + (draw.rand(0, 3) === 0 ? K : 0)
          }
        }
        const nSchemes = draw.rand(1, 5)
        const filters = draw.rand(0, 4) === 0
        for (let j = 0; j < nSchemes; j++) {
          const s = scheme(ctx, {
            // every bound drawn, so that a mix-up of two of them in the patterns' copy shows
            pattern: {
              minSzRegion: draw.rand(0, 4) * K,
              maxSzRegion: draw.rand(3, 9) * K,
              minNrAccesses: draw.rand(0, 5),
              maxNrAccesses: draw.rand(8, 22),
              minAgeRegion: draw.rand(0, 6),
              maxAgeRegion: draw.rand(5, 40)
            },
            quota: { sz: draw.rand(1, 40) * K, weightAge: draw.rand(0, 3) },
            ...(filters && j === 1 ? { filters: [{ type: "addr", matching: true, allow: false, addrRange: { start: 0, end: draw.rand(1, 60) * K } }] } : {})
          })
          s.quota.esz = draw.rand(1, 40 * K)
          s.coreFiltersAllowed = true
        }
        return ctx
      }
      const state = (ctx: ReturnType<typeof ctxOf>) => ({
        scores: ctx.schemes.map((s) => [s.quota.minScore, s.coreFiltersAllowed]),
        regions: ctx.targets.map((t) => t.regions.map((r) => [r.start, r.end]))
      })
      let merged = 0
      for (let c = 0; c < 300; c++) {
        const seed = rng.rand(0, 2 ** 31)
        const one = build(seed)
        for (const s of one.schemes) updateMinScore(one, s, scored)
        const all = build(seed)
        updateMinScores(all, all.schemes, scored)
        assert.deepStrictEqual(state(all), state(one), `seed ${seed}`)
        if (all.schemes.length > 1 && all.schemes.every((s) => s.coreFilters.length === 0)) merged++
      }
      // Most cases take the one-walk path; the rest (a core filter) the per-scheme one.
      assert.isAbove(merged, 150)
    })

    it("updateMinScores at the edge: bytes that exactly reach esz still need scores; one byte short gives 0 unscored", () => {
      const t = target([])
      t.regions.push(region(0, K, 9), region(K, 3 * K, 8))
      const ctx = ctxOf([t])
      const a = scheme(ctx, { quota: { sz: 3 * K } })
      const b = scheme(ctx, { quota: { sz: 3 * K + 1 } })
      a.quota.esz = 3 * K
      b.quota.esz = 3 * K + 1
      let scored = 0
      const counting: DamonOps = { id: "score", getSchemeScore: (c, tt, r, s) => (scored++, scorer.getSchemeScore!(c, tt, r, s)) }
      updateMinScores(ctx, [a, b], counting)
      // a: 90 (1 page) then 80 (2 pages) reach 3 pages at 80; b: never reached, 0.
      assert.deepStrictEqual([a.quota.minScore, b.quota.minScore], [80, 0])
      // Only a's regions were scored.
      assert.strictEqual(scored, 2)
    })

    it("clamps scores to [0, 99] and leaves minScore alone without a scorer", () => {
      const t = target([[0, K]])
      const ctx = ctxOf([t])
      const s = scheme(ctx, { quota: { sz: K } })
      s.quota.esz = K
      updateMinScore(ctx, s, { id: "x", getSchemeScore: () => 150 })
      assert.strictEqual(s.quota.minScore, 99)
      updateMinScore(ctx, s, { id: "x", getSchemeScore: () => -5 })
      assert.strictEqual(s.quota.minScore, 0)
      s.quota.minScore = 42
      updateMinScore(ctx, s, { id: "x" })
      assert.strictEqual(s.quota.minScore, 42)
    })
  })
})
