import { assert, describe, it } from "@effect/vitest"
import { type ApplyHooks, applyScheme, applySchemes, noHooks } from "../../../src/core/damos/ApplySchemes.ts"
import { setFiltersDefaultReject } from "../../../src/core/damos/Filters.ts"
import type { Damos, Filter } from "../../../src/model/Damos.ts"
import type { DamonOps } from "../../../src/ops/DamonOps.ts"
import { allOps, bareOps, ctxOf, envAt, makeDue, out, region, scheme, target, zeroOps } from "./fixtures.ts"

const MIN = 4096

const resetStat = (s: Damos): void => {
  s.stat = { nrTried: 0, szTried: 0, nrApplied: 0, szApplied: 0, szOpsFilterPassed: 0, qtExceeds: 0, nrSnapshots: 0 }
}

/** The kunit setup of the dev-tree apply_scheme tests: match-all STAT scheme, empty quota. */
const kunitSetup = () => {
  const t = target([])
  const ctx = ctxOf([t])
  const s = scheme(ctx, {
    pattern: { minSzRegion: 0, maxSzRegion: Number.MAX_SAFE_INTEGER, maxNrAccesses: 4294967295, maxAgeRegion: 4294967295 },
    action: "stat"
  })
  return { ctx, t, s }
}

describe("ApplySchemes", () => {
  // port: damos_test_apply_scheme_filtered_sz (mm/damon/tests/core-kunit.h, development tree)
  it("damos_test_apply_scheme_filtered_sz", () => {
    const { ctx, t, s } = kunitSetup()
    let f: Filter = { type: "addr", matching: true, allow: false, addrRange: { start: 2 * MIN, end: 8 * MIN } }
    s.coreFilters.push(f)
    setFiltersDefaultReject(s)
    t.regions.push(region(0, 4 * MIN))
    applyScheme(ctx, zeroOps, envAt(), t, 0, s, noHooks, out())
    assert.strictEqual(t.regions.length, 2)
    assert.strictEqual(t.regions[0]!.end, 2 * MIN)
    assert.strictEqual(s.stat.szTried, 2 * MIN)

    t.regions.length = 0
    resetStat(s)
    f = { ...f, allow: true }
    s.coreFilters[0] = f
    setFiltersDefaultReject(s)
    t.regions.push(region(2 * MIN, 10 * MIN))
    applyScheme(ctx, zeroOps, envAt(), t, 0, s, noHooks, out())
    assert.strictEqual(t.regions.length, 2)
    assert.strictEqual(t.regions[0]!.end, 8 * MIN)
    assert.strictEqual(s.stat.szTried, 6 * MIN)
  })

  // port: damos_test_apply_scheme_filter_sz_unchanged (mm/damon/tests/core-kunit.h, development tree)
  it("damos_test_apply_scheme_filter_sz_unchanged", () => {
    const { ctx, t, s } = kunitSetup()
    const f: Filter = { type: "addr", matching: true, allow: false, addrRange: { start: 2 * MIN, end: 8 * MIN } }
    s.coreFilters.push(f)
    setFiltersDefaultReject(s)
    t.regions.push(region(4 * MIN, 6 * MIN))
    applyScheme(ctx, zeroOps, envAt(), t, 0, s, noHooks, out())
    assert.strictEqual(s.stat.nrTried, 0)
    assert.strictEqual(s.stat.szTried, 0)
    assert.strictEqual(t.regions.length, 1)

    s.coreFilters[0] = { ...f, allow: true }
    setFiltersDefaultReject(s)
    applyScheme(ctx, zeroOps, envAt(), t, 0, s, noHooks, out())
    assert.strictEqual(s.stat.szTried, 2 * MIN)
    assert.strictEqual(t.regions.length, 1)

    t.regions.length = 0
    resetStat(s)
    s.coreFilters[0] = { type: "addr", matching: true, allow: false, addrRange: { start: 4 * MIN, end: 12 * MIN } }
    s.coreFilters.push({ type: "addr", matching: true, allow: false, addrRange: { start: 2 * MIN, end: 3 * MIN } })
    setFiltersDefaultReject(s)
    t.regions.push(region(0, 8 * MIN))
    applyScheme(ctx, zeroOps, envAt(), t, 0, s, noHooks, out())
    assert.strictEqual(t.regions.length, 3)
    assert.strictEqual(t.regions[0]!.end, 2 * MIN)
    assert.strictEqual(s.stat.szTried, 2 * MIN)

    s.coreFilters.length = 0
    s.coreFilters.push({ type: "target", matching: true, allow: true, targetIdx: 0 })
    setFiltersDefaultReject(s)
    resetStat(s)
    applyScheme(ctx, zeroOps, envAt(), t, 0, s, noHooks, out())
    assert.strictEqual(t.regions.length, 3)
    assert.strictEqual(t.regions[0]!.end, 2 * MIN)
    assert.strictEqual(s.stat.szTried, 2 * MIN)
  })

  // port: damos_test_apply_scheme_quota_sz (mm/damon/tests/core-kunit.h, development tree)
  it("damos_test_apply_scheme_quota_sz", () => {
    const { ctx, t, s } = kunitSetup()
    setFiltersDefaultReject(s)
    t.regions.push(region(0, 4 * MIN))
    applyScheme(ctx, bareOps, envAt(), t, 0, s, noHooks, out())
    assert.strictEqual(s.stat.szTried, 4 * MIN)
    assert.strictEqual(t.regions.length, 1)

    resetStat(s)
    applyScheme(ctx, zeroOps, envAt(), t, 0, s, noHooks, out())
    assert.strictEqual(s.stat.szTried, 4 * MIN)
    assert.strictEqual(t.regions.length, 1)

    t.regions.length = 0
    resetStat(s)
    s.quota.esz = 2 * MIN
    s.quota.chargedSz = 0
    t.regions.push(region(0, 8 * MIN))
    applyScheme(ctx, zeroOps, envAt(), t, 0, s, noHooks, out())
    assert.strictEqual(t.regions[0]!.end, 2 * MIN)
    assert.strictEqual(s.stat.szTried, 2 * MIN)

    t.regions.length = 0
    resetStat(s)
    s.quota.esz = 1
    s.quota.chargedSz = 0
    t.regions.push(region(0, 4 * MIN))
    applyScheme(ctx, zeroOps, envAt(), t, 0, s, noHooks, out())
    assert.strictEqual(s.stat.nrTried, 1)
    assert.strictEqual(s.stat.szTried, 0)
    assert.strictEqual(t.regions[0]!.end, 4 * MIN)
  })

  describe("applyScheme", () => {
    it("charges, sets the resume point when the quota fills, resets age, counts stats, calls onApplied", () => {
      const t = target([[0, 4 * MIN]])
      t.regions[0]!.age = 7
      const ctx = ctxOf([t])
      const s = scheme(ctx, { action: "pageout", quota: { sz: 2 * MIN } })
      s.quota.esz = 2 * MIN
      const calls: Array<string> = []
      const hooks: ApplyHooks = {
        onApplied: (_t, r, _s, passed) => calls.push(`${r.start}-${r.end} passed ${passed} age ${r.age}`),
        walkComplete: () => {}
      }
      applyScheme(ctx, allOps(), envAt(), t, 0, s, hooks, out())
      assert.deepStrictEqual(calls, [`0-${2 * MIN} passed ${2 * MIN} age 7`])
      assert.strictEqual(t.regions[0]!.age, 0)
      assert.strictEqual(t.regions[1]!.age, 7)
      assert.strictEqual(s.quota.chargedSz, 2 * MIN)
      assert.strictEqual(s.quota.totalChargedNs, 1000)
      assert.strictEqual(s.quota.chargeTargetFrom, t)
      assert.strictEqual(s.quota.chargeAddrFrom, 2 * MIN)
      assert.deepStrictEqual(s.stat, {
        nrTried: 1,
        szTried: 2 * MIN,
        nrApplied: 1,
        szApplied: 2 * MIN,
        szOpsFilterPassed: 2 * MIN,
        qtExceeds: 0,
        nrSnapshots: 0
      })
    })

    it("stat keeps the age; without applyScheme the age is still reset for other actions", () => {
      const t = target([[0, MIN]])
      t.regions[0]!.age = 3
      const ctx = ctxOf([t])
      applyScheme(ctx, allOps(), envAt(), t, 0, scheme(ctx), noHooks, out())
      assert.strictEqual(t.regions[0]!.age, 3)
      applyScheme(ctx, bareOps, envAt(), t, 0, scheme(ctx, { action: "cold" }), noHooks, out())
      assert.strictEqual(t.regions[0]!.age, 0)
    })

    it("core-filtered regions count nothing and keep their age", () => {
      const t = target([[0, MIN]])
      t.regions[0]!.age = 3
      const ctx = ctxOf([t])
      const s = scheme(ctx, { action: "cold", filters: [{ type: "target", matching: true, allow: false, targetIdx: 0 }] })
      let filtered = 0
      applyScheme(ctx, allOps(), envAt(), t, 0, s, { ...noHooks, onCoreFilteredOut: () => filtered++ }, out())
      assert.strictEqual(filtered, 1)
      assert.strictEqual(s.stat.nrTried, 0)
      assert.strictEqual(t.regions[0]!.age, 3)
    })

    it("reuses and resets the out-parameter for every call", () => {
      const t = target([[0, MIN], [MIN, 2 * MIN]])
      const ctx = ctxOf([t])
      const s = scheme(ctx)
      const seen: Array<number> = []
      const ops: DamonOps = {
        id: "x",
        applyScheme: (_c, _t, _r, _s, _e, o) => {
          seen.push(o.applied + o.filterPassed + o.costNs)
          o.applied = 5
          o.filterPassed = 6
          o.costNs = 7
        }
      }
      const o = out()
      applyScheme(ctx, ops, envAt(), t, 0, s, noHooks, o)
      applyScheme(ctx, ops, envAt(), t, 1, s, noHooks, o)
      assert.deepStrictEqual(seen, [0, 0])
    })
  })

  describe("applySchemes", () => {
    it("does nothing when no scheme is due and active", () => {
      const t = target([[0, MIN]])
      const ctx = ctxOf([t])
      const s = scheme(ctx)
      assert.isFalse(applySchemes(ctx, allOps(), envAt(), 0, noHooks))
      makeDue(ctx)
      s.wmarks.activated = false
      assert.isFalse(applySchemes(ctx, allOps(), envAt(), 0, noHooks))
      assert.strictEqual(s.stat.nrTried, 0)
    })

    it("applies due schemes, completes walks, reschedules and resets lastApplied", () => {
      const t = target([[0, MIN], [MIN, 2 * MIN]])
      const ctx = ctxOf([t])
      ctx.passedSampleIntervals = 100
      const due = scheme(ctx)
      const notDue = scheme(ctx, { applyIntervalUs: 1_000_000 })
      const dueInactive = scheme(ctx)
      due.nextApplySis = 100
      dueInactive.nextApplySis = 90
      dueInactive.wmarks.activated = false
      due.lastApplied = 12
      const completed: Array<Damos> = []
      assert.isTrue(applySchemes(ctx, allOps(), envAt(), 0, { ...noHooks, walkComplete: (s) => completed.push(s) }))
      assert.deepStrictEqual(completed, [due, dueInactive])
      assert.strictEqual(due.stat.nrTried, 2)
      assert.strictEqual(due.stat.nrSnapshots, 1)
      assert.strictEqual(notDue.stat.nrTried, 0)
      assert.strictEqual(dueInactive.stat.nrTried, 0)
      assert.strictEqual(due.nextApplySis, 100 + 20)
      assert.strictEqual(dueInactive.nextApplySis, 100 + 20)
      assert.strictEqual(notDue.nextApplySis, 100 + 200)
      assert.strictEqual(due.lastApplied, -1)
    })

    it("skips targets the ops set says are invalid", () => {
      const dead = target([[0, MIN]])
      const alive = target([[0, MIN]])
      const ctx = ctxOf([dead, alive])
      const s = scheme(ctx)
      makeDue(ctx)
      applySchemes(ctx, allOps({ targetValid: (_c, t) => t === alive }), envAt(), 0, noHooks)
      assert.strictEqual(s.stat.nrTried, 1)
      assert.strictEqual(s.stat.nrSnapshots, 1)
    })

    it("counts one snapshot per target per pass and stops at maxNrSnapshots", () => {
      const ctx = ctxOf([target([[0, MIN], [MIN, 2 * MIN]]), target([[0, MIN]])])
      const s = scheme(ctx, { maxNrSnapshots: 3 })
      for (let i = 0; i < 3; i++) {
        makeDue(ctx)
        applySchemes(ctx, allOps(), envAt(), i, noHooks)
      }
      assert.strictEqual(s.stat.nrSnapshots, 3)
      assert.strictEqual(s.stat.nrTried, 3 + 2)
    })

    it("visits pieces split off during the pass; earlier schemes see them again (R2 non-safe walk)", () => {
      const t = target([[0, 4 * MIN]])
      const ctx = ctxOf([t])
      const first = scheme(ctx)
      const second = scheme(ctx, {
        filters: [{ type: "addr", matching: true, allow: true, addrRange: { start: 0, end: MIN } }]
      })
      makeDue(ctx)
      const seen: Array<string> = []
      applySchemes(ctx, allOps(), envAt(), 0, {
        ...noHooks,
        onApplied: (_t, r, s) => seen.push(`${s === first ? "first" : "second"} ${r.start / MIN}-${r.end / MIN}`)
      })
      assert.deepStrictEqual(seen, ["first 0-4", "second 0-1", "first 1-4"])
      assert.strictEqual(first.stat.szTried, 7 * MIN)
      assert.strictEqual(second.stat.szTried, MIN)
      // The first scheme saw a last region twice ([0,4) before the split, [1,4) after it).
      assert.strictEqual(first.stat.nrSnapshots, 2)
      assert.strictEqual(second.stat.nrSnapshots, 1)
    })

    it("a size quota trims, resumes in the next window after the charged address, counts qtExceeds", () => {
      const t = target([[0, 3 * MIN], [3 * MIN, 6 * MIN], [6 * MIN, 9 * MIN]])
      const ctx = ctxOf([t])
      const s = scheme(ctx, { action: "pageout", quota: { sz: 2 * MIN, resetIntervalMs: 100 } })
      const applied: Array<string> = []
      const hooks: ApplyHooks = { ...noHooks, onApplied: (_t, r) => applied.push(`${r.start / MIN}-${r.end / MIN}`) }
      const pass = (nowMs: number) => {
        makeDue(ctx)
        applied.length = 0
        applySchemes(ctx, allOps(), envAt(nowMs * 1000), nowMs, hooks)
        return [...applied]
      }
      assert.deepStrictEqual(pass(0), ["0-2"])
      // Same window: quota full, nothing applied.
      assert.deepStrictEqual(pass(50), [])
      // New window: resume after address 2 (region [2,3) is visited: it starts at the address).
      assert.deepStrictEqual(pass(100), ["2-3", "3-4"])
      assert.strictEqual(s.stat.qtExceeds, 1)
      assert.deepStrictEqual(pass(200), ["4-6"])
      // The resume target's last region [6,9) clears the point and is skipped once (R2 quirk),
      // so the window passes with nothing applied and the next one starts from the first region.
      assert.deepStrictEqual(pass(300), [])
      assert.deepStrictEqual(pass(400), ["0-2"])
      assert.strictEqual(s.quota.totalChargedSz + s.quota.chargedSz, s.stat.szTried)
    })

    it("prioritisation: under a tight quota the higher-score regions are applied first", () => {
      const t = target([])
      t.regions.push(region(0, MIN, 1), region(MIN, 2 * MIN, 2), region(2 * MIN, 3 * MIN, 9), region(3 * MIN, 4 * MIN, 8))
      const ctx = ctxOf([t])
      const s = scheme(ctx, { action: "pageout", quota: { sz: 2 * MIN, resetIntervalMs: 1000 } })
      makeDue(ctx)
      const applied: Array<number> = []
      applySchemes(ctx, allOps({ getSchemeScore: (_c, _t, r) => r.nrAccesses * 10 }), envAt(), 0, {
        ...noHooks,
        onApplied: (_t, r) => applied.push(r.start / MIN)
      })
      assert.strictEqual(s.quota.minScore, 80)
      assert.deepStrictEqual(applied, [2, 3])
    })
  })
})
