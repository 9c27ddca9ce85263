/**
 * Kernel kunit ports for the target's region list and `damon_set_regions()` (core-kunit.h: the
 * table-driven ~v7.0 copy "C", which includes the ~v6.19 single case as row 3), plus property
 * tests of `setRegions`.
 */
import { assert, describe, it } from "@effect/vitest"
import { makeRng, type Rng } from "../../src/core/Rng.ts"
import type { AddrRange } from "../../src/model/AddrRange.ts"
import * as Region from "../../src/model/Region.ts"
import * as Target from "../../src/model/Target.ts"

type Pair = readonly [number, number]

const targetOf = (pairs: ReadonlyArray<Pair>): Target.Target =>
  Target.make(null, pairs.map(([s, e]) => Region.make(s, e)))

const pairsOf = (t: Target.Target): Array<Pair> => t.regions.map((r) => [r.start, r.end] as const)

/** The kernel's `damon_test_set_regions_for()`: old regions, new ranges, min_sz, expected regions. */
const setRegionsFor = (
  old: ReadonlyArray<Pair>,
  ranges: ReadonlyArray<Pair>,
  minSz: number,
  expect: ReadonlyArray<Pair>
) => {
  const t = targetOf(old)
  Target.setRegions(t, ranges.map(([start, end]) => ({ start, end })), minSz)
  assert.strictEqual(Target.nrRegions(t), expect.length)
  expect.forEach(([start, end], i) => {
    assert.strictEqual(t.regions[i]!.start, start, `region ${i} start`)
    assert.strictEqual(t.regions[i]!.end, end, `region ${i} end`)
  })
}

describe("Target", () => {
  it("damon_test_set_regions", () => {
    // port: damon_test_set_regions (mm/damon/tests/core-kunit.h)
    setRegionsFor([], [[5, 15], [15, 25]], 1, [[5, 15], [15, 25]])
    setRegionsFor([[4, 16], [24, 32]], [[18, 23]], 1, [[18, 23]])
    setRegionsFor([[4, 16], [24, 32]], [[8, 28]], 1, [[8, 16], [16, 24], [24, 28]])
    setRegionsFor([[0, 4], [4, 17]], [[0, 15], [25, 40]], 1, [[0, 4], [4, 15], [25, 40]])
    setRegionsFor([[0, 4], [42, 52]], [[0, 15], [25, 40], [44, 50]], 1, [[0, 15], [25, 40], [44, 50]])
  })

  it("damon_test_is_last_region", () => {
    // port: damon_test_is_last_region (mm/damon/tests/core-kunit.h)
    // damon_is_last_region(r, t) is "r is the last element of t.regions" here.
    const t = Target.make()
    for (let i = 0; i < 4; i++) {
      const r = Region.make(i * 2, (i + 1) * 2)
      t.regions.push(r)
      assert.strictEqual(t.regions[t.regions.length - 1], r)
    }
  })

  it("setRegions keeps the counters of resized regions and zeroes the hole fillers", () => {
    const t = targetOf([[4, 16], [24, 32]])
    t.regions[0]!.nrAccesses = 3
    t.regions[0]!.age = 7
    t.regions[1]!.lastNrAccesses = 5
    Target.setRegions(t, [{ start: 8, end: 28 }], 1)
    assert.deepStrictEqual(pairsOf(t), [[8, 16], [16, 24], [24, 28]])
    assert.strictEqual(t.regions[0]!.nrAccesses, 3)
    assert.strictEqual(t.regions[0]!.age, 7)
    assert.strictEqual(t.regions[1]!.nrAccesses + t.regions[1]!.age + t.regions[1]!.lastNrAccesses, 0)
    assert.strictEqual(t.regions[2]!.lastNrAccesses, 5)
  })

  it("setRegions aligns new and stretched bounds out to minRegionSz", () => {
    setRegionsFor([], [[5, 15]], 4, [[4, 16]])
    setRegionsFor([[8, 12]], [[9, 30]], 8, [[8, 32]])
  })

  describe("properties", () => {
    /** Sorted, disjoint ranges whose bounds, aligned out to `m`, stay disjoint; with their aligned form. */
    const genRanges = (rng: Rng, m: number): { raw: Array<AddrRange>; aligned: Array<AddrRange> } => {
      const raw: Array<AddrRange> = []
      const aligned: Array<AddrRange> = []
      let pos = rng.rand(0, 5)
      const n = rng.rand(0, 6)
      for (let i = 0; i < n; i++) {
        const gs = pos + rng.rand(0, 3)
        const ge = gs + rng.rand(1, 6)
        let start = gs * m + rng.rand(0, m)
        let end = ge * m - rng.rand(0, m)
        if (start >= end) [start, end] = [gs * m, ge * m]
        raw.push({ start, end })
        aligned.push({ start: gs * m, end: ge * m })
        pos = ge
      }
      return { raw, aligned }
    }

    /** Sorted, disjoint old regions with random counters; boundaries on multiples of `unit`. */
    const genOld = (rng: Rng, unit: number): Array<Region.Region> => {
      const out: Array<Region.Region> = []
      let pos = rng.rand(0, 5)
      const n = rng.rand(0, 9)
      for (let i = 0; i < n; i++) {
        const s = pos + rng.rand(0, 3)
        const e = s + rng.rand(1, 6)
        const r = Region.make(s * unit, e * unit)
        r.nrAccesses = rng.rand(1, 100)
        r.nrAccessesBp = rng.rand(1, 1_000_000)
        r.lastNrAccesses = rng.rand(1, 100)
        r.age = rng.rand(1, 100)
        out.push(r)
        pos = e
      }
      return out
    }

    const intersects = (a: AddrRange, b: AddrRange) => !(a.end <= b.start || b.end <= a.start)

    it("setRegions covers exactly the aligned ranges and keeps counters of kept regions (seeded)", () => {
      for (let seed = 0; seed < 400; seed++) {
        const rng = makeRng(seed)
        const m = 2 ** rng.rand(0, 5)
        const alignedOld = seed % 2 === 0
        // Old regions: on the m-grid, or on an arbitrary byte grid scaled to the same magnitude.
        const old = genOld(rng, alignedOld ? m : 1).map((r) =>
          alignedOld ? r : Object.assign(r, { start: r.start * m + rng.rand(0, m), end: r.end * m })
        )
        const { raw, aligned } = genRanges(rng, m)
        const snapshot = old.map((r) => ({ obj: r, copy: Region.clone(r) }))
        const t = Target.make(null, [...old])
        Target.setRegions(t, raw, m)
        const ctx = `seed ${seed}, m ${m}`

        // sorted, non-empty, non-overlapping
        for (let i = 0; i < t.regions.length; i++) {
          const r = t.regions[i]!
          assert.isBelow(r.start, r.end, ctx)
          if (i > 0) assert.isAtMost(t.regions[i - 1]!.end, r.start, ctx)
        }
        // every region inside an aligned range; total size equal => exact coverage
        for (const r of t.regions) {
          assert.isTrue(aligned.some((a) => a.start <= r.start && r.end <= a.end), `${ctx}: [${r.start},${r.end})`)
        }
        const sum = (xs: ReadonlyArray<AddrRange>) => xs.reduce((acc, x) => acc + x.end - x.start, 0)
        assert.strictEqual(Target.totalSize(t), sum(aligned), ctx)
        // region boundaries touching an aligned range's edge are exactly the edges
        for (const a of aligned) {
          const inside = t.regions.filter((r) => a.start <= r.start && r.end <= a.end)
          assert.strictEqual(inside[0]!.start, a.start, ctx)
          assert.strictEqual(inside[inside.length - 1]!.end, a.end, ctx)
        }
        if (alignedOld) for (const r of t.regions) assert.isTrue(r.start % m === 0 && r.end % m === 0, ctx)

        // kept = exactly the old regions that intersected a range; their counters are untouched
        const kept = new Set(t.regions)
        for (const { obj, copy } of snapshot) {
          const shouldKeep = raw.some((range) => intersects(copy, range))
          assert.strictEqual(kept.has(obj), shouldKeep, `${ctx}: old [${copy.start},${copy.end})`)
          if (shouldKeep) {
            assert.strictEqual(obj.nrAccesses, copy.nrAccesses, ctx)
            assert.strictEqual(obj.nrAccessesBp, copy.nrAccessesBp, ctx)
            assert.strictEqual(obj.lastNrAccesses, copy.lastNrAccesses, ctx)
            assert.strictEqual(obj.age, copy.age, ctx)
          }
        }
        const olds = new Set(old)
        for (const r of t.regions) {
          if (!olds.has(r)) assert.strictEqual(r.nrAccesses + r.nrAccessesBp + r.lastNrAccesses + r.age, 0, ctx)
        }

        // applying the same ranges again changes nothing
        const before = [...t.regions]
        const beforePairs = pairsOf(t)
        Target.setRegions(t, raw, m)
        assert.deepStrictEqual(pairsOf(t), beforePairs, ctx)
        t.regions.forEach((r, i) => assert.strictEqual(r, before[i], ctx))
      }
    })

    it("fillHoles inserts zeroed regions exactly into the gaps between first and last", () => {
      for (let seed = 0; seed < 200; seed++) {
        const rng = makeRng(seed)
        const old = genOld(rng, 1)
        if (old.length < 2) continue
        const t = Target.make(null, [...old])
        const first = rng.rand(0, old.length - 1)
        const last = rng.rand(first + 1, old.length)
        const gaps = old.slice(first, last).filter((r, i) => r.end !== old[first + i + 1]!.start).length
        const newLast = Target.fillHoles(t, first, last)
        assert.strictEqual(newLast, last + gaps)
        assert.strictEqual(t.regions[newLast], old[last])
        for (let i = first; i < newLast; i++) assert.strictEqual(t.regions[i]!.end, t.regions[i + 1]!.start)
        assert.strictEqual(t.regions.length, old.length + gaps)
      }
    })
  })
})
