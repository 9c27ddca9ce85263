import { assert, describe, it } from "@effect/vitest"
import {
  coreFilterOut,
  filterMatch,
  make,
  opsFilterOut,
  setFiltersDefaultReject
} from "../../../src/core/damos/Filters.ts"
import type { Filter } from "../../../src/model/Damos.ts"
import { ctxOf, region, scheme, target } from "./fixtures.ts"

describe("Filters", () => {
  // port: damos_test_new_filter (mm/damon/tests/core-kunit.h)
  it("damos_test_new_filter", () => {
    const f = make("anon", true, false)
    assert.strictEqual(f.type, "anon")
    assert.isTrue(f.matching)
    assert.isFalse(f.allow)
  })

  it("make - zeroes the type argument", () => {
    assert.deepStrictEqual(make("addr", false, true), {
      type: "addr",
      matching: false,
      allow: true,
      addrRange: { start: 0, end: 0 }
    })
    assert.deepStrictEqual(make("target", true, true), { type: "target", matching: true, allow: true, targetIdx: 0 })
    assert.deepStrictEqual(make("memcg", true, true), { type: "memcg", matching: true, allow: true, memcgId: 0 })
    assert.deepStrictEqual(make("hugepage_size", true, true), {
      type: "hugepage_size",
      matching: true,
      allow: true,
      szRange: { min: 0, max: 0 }
    })
  })

  // port: damos_test_filter_out (mm/damon/tests/core-kunit.h)
  it("damos_test_filter_out", () => {
    const f: Filter = { type: "addr", matching: true, allow: false, addrRange: { start: 2, end: 6 } }
    const t = target([[3, 5]])
    const ctx = ctxOf([t], { minRegionSz: 1 })
    const r = t.regions[0]!
    assert.isTrue(filterMatch(ctx, t, 0, f))
    assert.strictEqual(t.regions.length, 1)

    r.start = 1
    r.end = 2
    assert.isFalse(filterMatch(ctx, t, 0, f))
    assert.strictEqual(t.regions.length, 1)

    r.start = 6
    r.end = 8
    assert.isFalse(filterMatch(ctx, t, 0, f))
    assert.strictEqual(t.regions.length, 1)

    r.start = 1
    r.end = 4
    assert.isFalse(filterMatch(ctx, t, 0, f))
    assert.strictEqual(r.start, 1)
    assert.strictEqual(r.end, 2)
    assert.strictEqual(t.regions.length, 2)
    assert.strictEqual(t.regions[1]!.start, 2)
    assert.strictEqual(t.regions[1]!.end, 4)
    t.regions.splice(1, 1)

    r.start = 2
    r.end = 8
    assert.isTrue(filterMatch(ctx, t, 0, f))
    assert.strictEqual(r.start, 2)
    assert.strictEqual(r.end, 6)
    assert.strictEqual(t.regions.length, 2)
    assert.strictEqual(t.regions[1]!.start, 6)
    assert.strictEqual(t.regions[1]!.end, 8)
    t.regions.splice(1, 1)
  })

  it("filterMatch - aligns the addr range down to minRegionSz and honours matching=false", () => {
    const t = target([[4096, 8192]])
    const ctx = ctxOf([t])
    // [4000, 9000) aligns down to [0, 8192): the region is inside.
    const f: Filter = { type: "addr", matching: false, allow: true, addrRange: { start: 4000, end: 9000 } }
    assert.isFalse(filterMatch(ctx, t, 0, f))
    assert.isTrue(filterMatch(ctx, t, 0, { ...f, matching: true }))
  })

  it("filterMatch - target filter compares the target's index", () => {
    const t0 = target([[0, 4096]])
    const t1 = target([[0, 4096]])
    const ctx = ctxOf([t0, t1])
    const f: Filter = { type: "target", matching: true, allow: true, targetIdx: 1 }
    assert.isFalse(filterMatch(ctx, t0, 0, f))
    assert.isTrue(filterMatch(ctx, t1, 0, f))
    assert.isTrue(filterMatch(ctx, t0, 0, { ...f, matching: false }))
  })

  it("filterMatch - ops filter types never match in the core", () => {
    const t = target([[0, 4096]])
    const ctx = ctxOf([t])
    assert.isFalse(filterMatch(ctx, t, 0, make("anon", true, true)))
    assert.isFalse(filterMatch(ctx, t, 0, make("anon", false, true)))
  })

  // port: damon_test_set_filters_default_reject (mm/damon/tests/core-kunit.h)
  it("damon_test_set_filters_default_reject", () => {
    const ctx = ctxOf()
    const s = scheme(ctx)
    setFiltersDefaultReject(s)
    assert.isFalse(s.coreFiltersDefaultReject)
    assert.isFalse(s.opsFiltersDefaultReject)

    s.coreFilters.push({ type: "target", matching: true, allow: true, targetIdx: 0 })
    setFiltersDefaultReject(s)
    assert.isTrue(s.coreFiltersDefaultReject)
    assert.isFalse(s.opsFiltersDefaultReject)

    s.coreFilters[0] = { type: "target", matching: true, allow: false, targetIdx: 0 }
    setFiltersDefaultReject(s)
    assert.isFalse(s.coreFiltersDefaultReject)
    assert.isFalse(s.opsFiltersDefaultReject)

    s.opsFilters.push(make("anon", true, true))
    setFiltersDefaultReject(s)
    assert.isFalse(s.coreFiltersDefaultReject)
    assert.isTrue(s.opsFiltersDefaultReject)

    s.coreFilters[0] = { type: "target", matching: true, allow: true, targetIdx: 0 }
    setFiltersDefaultReject(s)
    assert.isFalse(s.coreFiltersDefaultReject)
    assert.isTrue(s.opsFiltersDefaultReject)
  })

  it("coreFilterOut - first match decides, sets coreFiltersAllowed, else the default", () => {
    const t = target([[0, 4096 * 4]])
    const ctx = ctxOf([t])
    const s = scheme(ctx, {
      filters: [
        { type: "addr", matching: true, allow: true, addrRange: { start: 0, end: 4096 * 4 } },
        { type: "target", matching: true, allow: false, targetIdx: 0 }
      ]
    })
    assert.isFalse(coreFilterOut(ctx, t, 0, s))
    assert.isTrue(s.coreFiltersAllowed)
    // Reversed order: the reject filter matches first.
    s.coreFilters.reverse()
    assert.isTrue(coreFilterOut(ctx, t, 0, s))
    assert.isFalse(s.coreFiltersAllowed)
    // Nothing matches: the default (last filter allows -> reject by default).
    const s2 = scheme(ctx, { filters: [{ type: "target", matching: true, allow: true, targetIdx: 5 }] })
    assert.isTrue(coreFilterOut(ctx, t, 0, s2))
    assert.isFalse(s2.coreFiltersAllowed)
  })

  it("opsFilterOut - short-circuits on coreFiltersAllowed, first match decides, else the default", () => {
    const ctx = ctxOf()
    const s = scheme(ctx, {
      filters: [
        { type: "anon", matching: true, allow: false },
        { type: "young", matching: false, allow: true }
      ]
    })
    interface Folio { readonly anon: boolean; readonly young: boolean }
    const cond = (f: Filter, folio: Folio): boolean =>
      f.type === "anon" ? folio.anon : f.type === "young" ? folio.young : false
    assert.isTrue(opsFilterOut(s, { anon: true, young: false }, cond))
    assert.isFalse(opsFilterOut(s, { anon: false, young: false }, cond))
    // Matches nothing: anon false (no match for matching=true), young true (no match for matching=false).
    assert.isTrue(s.opsFiltersDefaultReject)
    assert.isTrue(opsFilterOut(s, { anon: false, young: true }, cond))
    s.coreFiltersAllowed = true
    assert.isFalse(opsFilterOut(s, { anon: true, young: false }, cond))
  })

  it("region helper - sets bp from nrAccesses", () => {
    assert.strictEqual(region(0, 1, 3).nrAccessesBp, 30000)
  })
})
