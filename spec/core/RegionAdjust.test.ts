/**
 * Kernel kunit ports for the adaptive region adjustment (core-kunit.h: ~v6.19 copy "B" for
 * aggregate/merge/split, ~v7.0 copy "C" for apply_min_nr_regions) and property tests of the
 * merge, split and min-nr-regions invariants.
 */
import { describe, it } from "@effect/vitest"
import { assert } from "../support/loopAssert.ts"
import { updateRegionAccessRate } from "../../src/core/AccessRate.ts"
import {
  applyMinNrRegions,
  mergeRegions,
  mergeRegionsOf,
  resetAggregated,
  splitRegions,
  splitRegionsOf
} from "../../src/core/RegionAdjust.ts"
import { makeRng, type Rng } from "../../src/core/Rng.ts"
import * as Attrs from "../../src/model/Attrs.ts"
import { MAX_NR_REGIONS } from "../../src/model/Limits.ts"
import * as DamonCtx from "../../src/model/DamonCtx.ts"
import * as Region from "../../src/model/Region.ts"
import * as Target from "../../src/model/Target.ts"

type Pair = readonly [number, number]

const targetOf = (pairs: ReadonlyArray<Pair>): Target.Target =>
  Target.make(null, pairs.map(([s, e]) => Region.make(s, e)))

/** Touching ranges joined: the set of bytes a region list covers, in canonical form. */
const coverage = (regions: ReadonlyArray<{ start: number; end: number }>): Array<Pair> => {
  const out: Array<[number, number]> = []
  for (const r of regions) {
    const last = out[out.length - 1]
    if (last !== undefined && last[1] === r.start) last[1] = r.end
    else out.push([r.start, r.end])
  }
  return out
}

/** Sorted, non-overlapping, non-empty and aligned to `m`. */
const assertWellFormed = (t: Target.Target, m: number, ctx: string) => {
  t.regions.forEach((r, i) => {
    assert.isBelow(r.start, r.end, `${ctx}: empty region ${i}`)
    assert.strictEqual(r.start % m, 0, `${ctx}: unaligned start ${r.start}`)
    assert.strictEqual(r.end % m, 0, `${ctx}: unaligned end ${r.end}`)
    if (i > 0) assert.isAtMost(t.regions[i - 1]!.end, r.start, `${ctx}: overlap at ${i}`)
  })
}

/** Random regions aligned to `m`, with holes sometimes, and random counters. */
const genRegions = (rng: Rng, m: number, n: number, maxNr: number): Array<Region.Region> => {
  const out: Array<Region.Region> = []
  let pos = rng.rand(0, 4) * m
  for (let i = 0; i < n; i++) {
    if (rng.rand(0, 5) === 0) pos += rng.rand(1, 4) * m
    const sz = rng.rand(1, 40) * m
    const r = Region.make(pos, pos + sz)
    r.nrAccesses = rng.rand(0, maxNr + 1)
    r.nrAccessesBp = r.nrAccesses * 10000
    r.lastNrAccesses = rng.rand(0, maxNr + 1)
    r.age = rng.rand(0, 50)
    out.push(r)
    pos += sz
  }
  return out
}

/** Kernel pseudo-code of `damon_merge_regions_of()` (R2), written independently of src. */
const refMergeRegionsOf = (regions: Array<Region.Region>, thres: number, szLimit: number): Array<Region.Region> => {
  const kept: Array<Region.Region> = []
  let prev: Region.Region | undefined
  for (const r of regions) {
    const diffAge = Math.abs(r.nrAccesses - r.lastNrAccesses)
    if (diffAge > thres) r.age = 0
    else if ((r.nrAccesses === 0) !== (r.lastNrAccesses === 0)) r.age = 0
    else r.age = (r.age + 1) % 2 ** 32
    if (
      prev !== undefined &&
      prev.end === r.start &&
      Math.abs(prev.nrAccesses - r.nrAccesses) <= thres &&
      prev.end - prev.start + (r.end - r.start) <= szLimit
    ) {
      const szP = prev.end - prev.start
      const szR = r.end - r.start
      prev.nrAccesses = Math.floor((prev.nrAccesses * szP + r.nrAccesses * szR) / (szP + szR))
      prev.nrAccessesBp = prev.nrAccesses * 10000
      prev.age = Math.floor((prev.age * szP + r.age * szR) / (szP + szR))
      prev.end = r.end
    } else {
      prev = r
      kept.push(r)
    }
  }
  return kept
}

describe("RegionAdjust", () => {
  it("damon_test_aggregate", () => {
    // port: damon_test_aggregate (mm/damon/tests/core-kunit.h)
    const ctx = DamonCtx.make("vaddr")
    const saddr = [[10, 20, 30], [5, 42, 49], [13, 33, 55]]
    const eaddr = [[15, 27, 40], [31, 45, 55], [23, 44, 66]]
    const accesses = [[42, 95, 84], [10, 20, 30], [0, 1, 2]]
    for (let it = 0; it < 3; it++) ctx.targets.push(Target.make())
    ctx.targets.forEach((t, it) => {
      for (let ir = 0; ir < 3; ir++) {
        const r = Region.make(saddr[it]![ir]!, eaddr[it]![ir]!)
        r.nrAccesses = accesses[it]![ir]!
        r.nrAccessesBp = accesses[it]![ir]! * 10000
        t.regions.push(r)
      }
    })
    // kdamond_reset_aggregated(ctx)
    assert.strictEqual(resetAggregated(ctx), 0)
    let it = 0
    for (const t of ctx.targets) {
      let ir = 0
      for (const r of t.regions) {
        assert.strictEqual(r.nrAccesses, 0)
        assert.strictEqual(r.lastNrAccesses, accesses[it]![ir]!)
        ir++
      }
      assert.strictEqual(ir, 3)
      it++
    }
    assert.strictEqual(it, 3)
  })

  it("damon_test_merge_regions_of", () => {
    // port: damon_test_merge_regions_of (mm/damon/tests/core-kunit.h)
    const sa = [0, 100, 114, 122, 130, 156, 170, 184, 230]
    const ea = [100, 112, 122, 130, 156, 170, 184, 230, 10170]
    const nrs = [0, 0, 10, 10, 20, 30, 1, 2, 5]
    const saddrs = [0, 114, 130, 156, 170, 230]
    const eaddrs = [112, 130, 156, 170, 230, 10170]
    const t = Target.make()
    sa.forEach((s, i) => {
      const r = Region.make(s, ea[i]!)
      r.nrAccesses = nrs[i]!
      r.nrAccessesBp = nrs[i]! * 10000
      t.regions.push(r)
    })
    mergeRegionsOf(t, 9, 9999)
    // 0-112, 114-130, 130-156, 156-170, 170-230, 230-10170
    assert.strictEqual(Target.nrRegions(t), 6)
    for (let i = 0; i < 6; i++) {
      assert.strictEqual(t.regions[i]!.start, saddrs[i])
      assert.strictEqual(t.regions[i]!.end, eaddrs[i])
    }
  })

  it("mergeRegionsOf compacts the target's own array: the kept regions in order, the same array, no stale tail", () => {
    const t = Target.make()
    for (let i = 0; i < 8; i++) {
      const r = Region.make(i * 100, (i + 1) * 100)
      // Pairs of equal counts merge: 0-200, 200-400, 400-600, 600-800.
      r.nrAccesses = Math.floor(i / 2) * 20
      t.regions.push(r)
    }
    const array = t.regions
    const kept = [0, 2, 4, 6].map((i) => array[i]!)
    mergeRegionsOf(t, 9, 10_000)
    assert.strictEqual(t.regions, array)
    assert.strictEqual(t.regions.length, 4)
    kept.forEach((r, i) => assert.strictEqual(t.regions[i], r))
    assert.deepStrictEqual(t.regions.map((r) => [r.start, r.end]), [[0, 200], [200, 400], [400, 600], [600, 800]])
  })

  it("damon_test_split_regions_of", () => {
    // port: damon_test_split_regions_of (mm/damon/tests/core-kunit.h)
    // The kernel draws from an unseeded RNG and asserts bounds only; run its three cases over
    // many seeds and also check that the pieces are aligned, non-empty and tile the original.
    const sa = [0, 300, 500]
    const ea = [220, 400, 700]
    for (let seed = 0; seed < 300; seed++) {
      const rng = makeRng(seed)
      const ctx = `seed ${seed}`

      let t = targetOf([[0, 22]])
      splitRegionsOf(t, 2, 1, rng)
      assert.isAtMost(Target.nrRegions(t), 2, ctx)
      assertWellFormed(t, 1, ctx)
      assert.deepStrictEqual(coverage(t.regions), [[0, 22]], ctx)

      t = targetOf([[0, 220]])
      splitRegionsOf(t, 4, 1, rng)
      assert.isAtMost(Target.nrRegions(t), 4, ctx)
      assertWellFormed(t, 1, ctx)
      assert.deepStrictEqual(coverage(t.regions), [[0, 220]], ctx)

      t = targetOf(sa.map((s, i) => [s, ea[i]!] as const))
      const list = t.regions
      const originals = [...list]
      splitRegionsOf(t, 4, 5, rng)
      assert.isAtMost(Target.nrRegions(t), 12, ctx)
      // grown in place, each original region first among its pieces
      assert.strictEqual(t.regions, list, ctx)
      assert.deepStrictEqual(originals.map((r) => t.regions.includes(r)), [true, true, true], ctx)
      // the kernel's `GE(sz % 5, 0)` holds trivially; the real intent is 5-byte alignment
      for (const r of t.regions) assert.strictEqual(Region.size(r) % 5, 0, ctx)
      assertWellFormed(t, 5, ctx)
      assert.deepStrictEqual(coverage(t.regions), [[0, 220], [300, 400], [500, 700]], ctx)
    }
  })

  it("damon_test_apply_min_nr_regions", () => {
    // port: damon_test_apply_min_nr_regions (mm/damon/tests/core-kunit.h)
    const applyMinNrRegionsFor = (
      szRegions: number,
      minRegionSz: number,
      minNrRegions: number,
      maxRegionSzExpect: number,
      nrRegionsExpect: number
    ) => {
      const ctx = DamonCtx.make("vaddr")
      const t = targetOf([[0, szRegions]])
      ctx.targets.push(t)
      ctx.minRegionSz = minRegionSz
      ctx.attrs = { ...ctx.attrs, minNrRegions }
      const maxRegionSize = applyMinNrRegions(ctx)
      assert.strictEqual(maxRegionSize, maxRegionSzExpect)
      assert.strictEqual(Target.nrRegions(t), nrRegionsExpect)
    }
    // common case
    applyMinNrRegionsFor(10, 1, 10, 1, 10)
    // no zero size limit
    applyMinNrRegionsFor(10, 1, 15, 1, 10)
    // max size should be aligned by min_region_sz
    applyMinNrRegionsFor(10, 2, 2, 6, 2)
    // when min_nr_regions and min_region_sz conflicts, min_region_sz wins
    applyMinNrRegionsFor(10, 2, 10, 2, 5)
  })

  it("splitRegions stops at MAX_NR_REGIONS however large maxNrRegions is (ULONG_MAX saturates)", () => {
    const splitFrom = (nrRegions: number): number => {
      const ctx = DamonCtx.make("vaddr")
      const t = targetOf(Array.from({ length: nrRegions }, (_, i) => [i * 4096 * 8, (i + 1) * 4096 * 8]))
      ctx.targets.push(t)
      ctx.attrs = { ...ctx.attrs, maxNrRegions: Number.MAX_SAFE_INTEGER }
      splitRegions(ctx, { lastNrRegions: 0 }, makeRng(2))
      return Target.nrRegions(t)
    }
    const split = splitFrom(MAX_NR_REGIONS / 2)
    // at half the limit: cut in two (a random cut point can fall on an end: that region stays whole)
    assert.isAbove(split, (MAX_NR_REGIONS * 3) / 4)
    assert.isAtMost(split, MAX_NR_REGIONS)
    assert.strictEqual(splitFrom(MAX_NR_REGIONS / 2 + 1), MAX_NR_REGIONS / 2 + 1, "past half the limit: no split")
  })

  it("mergeRegionsOf resets the age when exactly one of nrAccesses and lastNrAccesses is zero (R2)", () => {
    const t = targetOf([[0, 10], [20, 30], [40, 50], [60, 70]])
    const [a, b, c, d] = t.regions as [Region.Region, Region.Region, Region.Region, Region.Region]
    a.age = 5 // 0 vs 0: grows
    b.age = 5
    b.nrAccesses = 1 // 1 vs 0 within thres 9: R2 resets anyway
    c.age = 5
    c.nrAccesses = 3
    c.lastNrAccesses = 2 // both non-zero, within thres: grows
    d.age = 5
    d.nrAccesses = 20 // moved by more than thres: resets
    d.lastNrAccesses = 5
    mergeRegionsOf(t, 9, 1000)
    assert.deepStrictEqual([a.age, b.age, c.age, d.age], [6, 0, 6, 0])
  })

  it("resetAggregated repairs an inconsistent nrAccessesBp and reports it", () => {
    const ctx = DamonCtx.make("paddr")
    const t = targetOf([[0, 10], [10, 20]])
    ctx.targets.push(t)
    t.regions[0]!.nrAccesses = 3
    t.regions[0]!.nrAccessesBp = 30000
    t.regions[1]!.nrAccesses = 4
    t.regions[1]!.nrAccessesBp = 12345
    assert.strictEqual(resetAggregated(ctx), 1)
    assert.strictEqual(t.regions[1]!.nrAccessesBp, 40000)
    assert.strictEqual(t.regions[1]!.lastNrAccesses, 4)
    assert.strictEqual(t.regions[1]!.nrAccesses, 0)
  })

  it("resetAggregated compares nrAccessesBp in u32 like the kernel (no spurious repair above 429496 accesses)", () => {
    // kdamond_reset_aggregated() -> damon_warn_fix_nr_accesses_corruption(): both sides of
    // `nr_accesses_bp == nr_accesses * 10000` are unsigned int, and the per-sample moving sum wraps
    // in u32 too, so a window with 500000 accessed samples (sample 1 us, aggr 1 s) is consistent.
    const ctx = DamonCtx.make("paddr")
    ctx.attrs = { ...Attrs.defaults, sampleIntervalUs: 1, aggrIntervalUs: 1_000_000 }
    const r = Region.make(0, 4096)
    ctx.targets.push(Target.make(null, [r]))
    for (let i = 0; i < 500_000; i++) updateRegionAccessRate(r, true, ctx.attrs)
    assert.strictEqual(r.nrAccesses, 500_000)
    assert.strictEqual(r.nrAccessesBp, (500_000 * 10000) % 2 ** 32)
    assert.strictEqual(resetAggregated(ctx), 0)
    assert.isAtMost(r.nrAccessesBp, 0xffff_ffff)
  })

  describe("properties", () => {
    it("mergeRegions follows the kernel's threshold-doubling loop and its stop condition (seeded)", () => {
      let repeated = 0
      for (let seed = 0; seed < 300; seed++) {
        const rng = makeRng(seed)
        const m = 2 ** rng.rand(0, 4)
        const ctx = DamonCtx.make("vaddr")
        ctx.minRegionSz = m
        const ratio = rng.rand(1, 40)
        const sample = rng.rand(0, 3) === 0 ? 0 : rng.rand(1, 100)
        ctx.attrs = {
          ...ctx.attrs,
          sampleIntervalUs: sample,
          aggrIntervalUs: Math.max(sample, 1) * ratio,
          maxNrRegions: rng.rand(1, 30)
        }
        const maxNr = Attrs.maxNrAccesses(ctx.attrs)
        const nrTargets = rng.rand(1, 4)
        for (let i = 0; i < nrTargets; i++) ctx.targets.push(Target.make(i, genRegions(rng, m, rng.rand(0, 30), maxNr)))
        const threshold = rng.rand(0, 6)
        const szLimit = rng.rand(1, 200) * m

        const before = ctx.targets.map((t) => t.regions.map(Region.clone))
        const refTargets = ctx.targets.map((t) => t.regions.map(Region.clone))
        // kdamond_merge_regions() in kernel pseudo-code
        const maxThres = Math.floor(ctx.attrs.aggrIntervalUs / Math.max(ctx.attrs.sampleIntervalUs, 1))
        let thres = threshold
        let nr: number
        let passes = 0
        do {
          nr = 0
          for (let i = 0; i < refTargets.length; i++) {
            refTargets[i] = refMergeRegionsOf(refTargets[i]!, thres, szLimit)
            nr += refTargets[i]!.length
          }
          thres = Math.max(1, thres * 2)
          passes++
        } while (nr > ctx.attrs.maxNrRegions && Math.floor(thres / 2) < maxThres)
        if (passes > 1) repeated++

        const got = mergeRegions(ctx, threshold, szLimit)
        const c = `seed ${seed}`
        assert.strictEqual(got, nr, c)
        assert.strictEqual(got, DamonCtx.nrRegions(ctx), c)
        // the loop's exit condition
        assert.isTrue(got <= ctx.attrs.maxNrRegions || Math.floor(thres / 2) >= maxThres, c)
        ctx.targets.forEach((t, i) => {
          assert.deepStrictEqual(t.regions, refTargets[i], c)
          assertWellFormed(t, m, c)
          assert.deepStrictEqual(coverage(t.regions), coverage(before[i]!), c)
          assert.strictEqual(Target.totalSize(t), before[i]!.reduce((s, r) => s + Region.size(r), 0), c)
          // a region is either an untouched original (possibly oversized) or within the limit
          for (const r of t.regions) {
            const original = before[i]!.some((o) => o.start === r.start && o.end === r.end)
            assert.isTrue(original || Region.size(r) <= szLimit, c)
          }
        })
      }
      assert.isAbove(repeated, 30, "the loop must repeat in a good share of the runs")
    })

    it("mergeRegions then splitRegions keeps exact coverage, alignment and counters (seeded)", () => {
      let splitRuns = 0
      for (let seed = 0; seed < 300; seed++) {
        const rng = makeRng(seed)
        const m = 2 ** rng.rand(0, 5)
        const ctx = DamonCtx.make("vaddr")
        ctx.minRegionSz = m
        ctx.attrs = { ...ctx.attrs, maxNrRegions: rng.rand(3, 200) }
        const nrTargets = rng.rand(1, 4)
        for (let i = 0; i < nrTargets; i++) ctx.targets.push(Target.make(i, genRegions(rng, m, rng.rand(0, 25), 20)))
        const original = ctx.targets.map((t) => coverage(t.regions))
        mergeRegions(ctx, rng.rand(0, 5), rng.rand(1, 100) * m)
        const merged = ctx.targets.map((t) => t.regions.map(Region.clone))
        const nrBefore = DamonCtx.nrRegions(ctx)
        const state = { lastNrRegions: rng.rand(0, 2) === 0 ? nrBefore : 0 }
        splitRegions(ctx, state, rng)
        const c = `seed ${seed}`
        const nrAfter = DamonCtx.nrRegions(ctx)
        if (nrBefore > Math.floor(ctx.attrs.maxNrRegions / 2)) {
          assert.strictEqual(nrAfter, nrBefore, c)
        } else {
          splitRuns++
          assert.strictEqual(state.lastNrRegions, nrBefore, c)
          assert.isAtMost(nrAfter, nrBefore * 3, c)
        }
        ctx.targets.forEach((t, i) => {
          assertWellFormed(t, m, c)
          assert.deepStrictEqual(coverage(t.regions), original[i], c)
          // every piece lies in one pre-split region and carries its counters
          for (const r of t.regions) {
            const parent = merged[i]!.find((p) => p.start <= r.start && r.end <= p.end)
            assert.isDefined(parent, c)
            assert.strictEqual(r.nrAccesses, parent!.nrAccesses, c)
            assert.strictEqual(r.nrAccessesBp, parent!.nrAccessesBp, c)
            assert.strictEqual(r.lastNrAccesses, parent!.lastNrAccesses, c)
            assert.strictEqual(r.age, parent!.age, c)
          }
          // at most nrSubs pieces per region, and regions of <= 2 * minRegionSz are never split
          for (const p of merged[i]!) {
            const pieces = t.regions.filter((r) => p.start <= r.start && r.end <= p.end).length
            assert.isAtMost(pieces, 3, c)
            if (Region.size(p) <= 2 * m) assert.strictEqual(pieces, 1, c)
          }
        })
      }
      assert.isAbove(splitRuns, 100)
    })

    it("applyMinNrRegions caps region sizes at the returned limit and keeps coverage (seeded)", () => {
      for (let seed = 0; seed < 300; seed++) {
        const rng = makeRng(seed)
        const m = 2 ** rng.rand(0, 5)
        const ctx = DamonCtx.make("vaddr")
        ctx.minRegionSz = m
        ctx.attrs = { ...ctx.attrs, minNrRegions: rng.rand(3, 60) }
        const nrTargets = rng.rand(1, 4)
        for (let i = 0; i < nrTargets; i++) ctx.targets.push(Target.make(i, genRegions(rng, m, rng.rand(0, 8), 20)))
        const before = ctx.targets.map((t) => t.regions.map(Region.clone))
        const total = ctx.targets.reduce((s, t) => s + Target.totalSize(t), 0)
        const limit = applyMinNrRegions(ctx)
        const c = `seed ${seed}`
        const expectedLimit = Math.max(Math.floor(total / ctx.attrs.minNrRegions), m)
        assert.strictEqual(limit, Math.ceil(expectedLimit / m) * m, c)
        ctx.targets.forEach((t, i) => {
          assertWellFormed(t, m, c)
          assert.deepStrictEqual(coverage(t.regions), coverage(before[i]!), c)
          for (const r of t.regions) assert.isAtMost(Region.size(r), limit, c)
          // each original region becomes ceil(size / limit) pieces with its counters
          for (const p of before[i]!) {
            const pieces = t.regions.filter((r) => p.start <= r.start && r.end <= p.end)
            assert.strictEqual(pieces.length, Math.ceil(Region.size(p) / limit), c)
            for (const r of pieces) {
              assert.strictEqual(r.nrAccesses, p.nrAccesses, c)
              assert.strictEqual(r.age, p.age, c)
            }
          }
        })
        if (m === 1 && total >= ctx.attrs.minNrRegions) {
          assert.isAtLeast(DamonCtx.nrRegions(ctx), ctx.attrs.minNrRegions, c)
        }
      }
    })
  })
})
