/**
 * Kernel kunit ports of the vaddr initial-region heuristics (vaddr-kunit.h: the newest copy
 * "V-new" for three_regions_in_vmas and apply_three_regions1..4; "V-mid" for split_evenly, which
 * newer kernels removed), plus property tests of `threeRegions`.
 */
import { assert, describe, it } from "@effect/vitest"
import { makeRng } from "../../src/core/Rng.ts"
import { evenlySplitRegion, threeRegions } from "../../src/core/ThreeRegions.ts"
import type { AddrRange } from "../../src/model/AddrRange.ts"
import * as Region from "../../src/model/Region.ts"
import * as Target from "../../src/model/Target.ts"

type Pair = readonly [number, number]

const rangesOf = (pairs: ReadonlyArray<Pair>): Array<AddrRange> => pairs.map(([start, end]) => ({ start, end }))

const pairsOf = (t: Target.Target): Array<Pair> => t.regions.map((r) => [r.start, r.end] as const)

/** The kernel's `damon_do_test_apply_three_regions()`: 8 old regions, 3 new ranges, expected regions. */
const doTestApplyThreeRegions = (
  regions: ReadonlyArray<Pair>,
  three: ReadonlyArray<Pair>,
  expected: ReadonlyArray<Pair>
) => {
  const t = Target.make()
  // V-new builds the old regions with damon_set_regions(t, ranges, nr, DAMON_MIN_REGION_SZ = 1)
  Target.setRegions(t, rangesOf(regions), 1)
  assert.deepStrictEqual(pairsOf(t), regions.map(([s, e]) => [s, e] as const))
  Target.setRegions(t, rangesOf(three), 1)
  // the kernel compares the first len(expected) regions; the whole list matches here
  expected.forEach(([start, end], i) => {
    assert.strictEqual(t.regions[i]!.start, start, `region ${i} start`)
    assert.strictEqual(t.regions[i]!.end, end, `region ${i} end`)
  })
  assert.strictEqual(Target.nrRegions(t), expected.length)
}

const oldRegions: ReadonlyArray<Pair> = [
  [10, 20], [20, 30], [50, 55], [55, 57], [57, 59], [70, 80], [80, 90], [90, 100]
]

describe("ThreeRegions", () => {
  it("damon_test_three_regions_in_vmas", () => {
    // port: damon_test_three_regions_in_vmas (mm/damon/tests/vaddr-kunit.h)
    const vmas = rangesOf([[10, 20], [20, 25], [200, 210], [210, 220], [300, 305], [307, 330]])
    const regions = threeRegions(vmas, 1)
    assert.isDefined(regions)
    assert.strictEqual(regions![0].start, 10)
    assert.strictEqual(regions![0].end, 25)
    assert.strictEqual(regions![1].start, 200)
    assert.strictEqual(regions![1].end, 220)
    assert.strictEqual(regions![2].start, 300)
    assert.strictEqual(regions![2].end, 330)
  })

  it("damon_test_apply_three_regions1", () => {
    // port: damon_test_apply_three_regions1 (mm/damon/tests/vaddr-kunit.h)
    doTestApplyThreeRegions(
      oldRegions,
      [[5, 27], [45, 55], [73, 104]],
      [[5, 20], [20, 27], [45, 55], [73, 80], [80, 90], [90, 104]]
    )
  })

  it("damon_test_apply_three_regions2", () => {
    // port: damon_test_apply_three_regions2 (mm/damon/tests/vaddr-kunit.h)
    doTestApplyThreeRegions(
      oldRegions,
      [[5, 27], [56, 57], [65, 104]],
      [[5, 20], [20, 27], [56, 57], [65, 80], [80, 90], [90, 104]]
    )
  })

  it("damon_test_apply_three_regions3", () => {
    // port: damon_test_apply_three_regions3 (mm/damon/tests/vaddr-kunit.h)
    doTestApplyThreeRegions(
      oldRegions,
      [[5, 27], [61, 63], [65, 104]],
      [[5, 20], [20, 27], [61, 63], [65, 80], [80, 90], [90, 104]]
    )
  })

  it("damon_test_apply_three_regions4", () => {
    // port: damon_test_apply_three_regions4 (mm/damon/tests/vaddr-kunit.h)
    doTestApplyThreeRegions(oldRegions, [[5, 7], [30, 32], [65, 68]], [[5, 7], [30, 32], [65, 68]])
  })

  it("damon_test_split_evenly", () => {
    // port: damon_test_split_evenly (mm/damon/tests/vaddr-kunit.h)
    // DAMON_MIN_REGION is 1 under CONFIG_DAMON_VADDR_KUNIT_TEST.
    const splitEvenlyFail = (start: number, end: number, nrPieces: number) => {
      const t = Target.make(null, [Region.make(start, end)])
      assert.isFalse(evenlySplitRegion(t, 0, nrPieces, 1))
      assert.strictEqual(Target.nrRegions(t), 1)
      assert.deepStrictEqual(pairsOf(t), [[start, end]])
    }
    const splitEvenlySucc = (start: number, end: number, nrPieces: number) => {
      const expectedWidth = Math.floor((end - start) / nrPieces)
      const t = Target.make(null, [Region.make(start, end)])
      assert.isTrue(evenlySplitRegion(t, 0, nrPieces, 1))
      assert.strictEqual(Target.nrRegions(t), nrPieces)
      t.regions.forEach((r, i) => {
        if (i === nrPieces - 1) return
        assert.strictEqual(r.start, start + i * expectedWidth)
        assert.strictEqual(r.end, start + (i + 1) * expectedWidth)
      })
      assert.strictEqual(t.regions[nrPieces - 1]!.start, start + (nrPieces - 1) * expectedWidth)
      assert.strictEqual(t.regions[nrPieces - 1]!.end, end)
    }

    // damon_va_evenly_split_region(NULL, NULL, 5): no region
    assert.isFalse(evenlySplitRegion(Target.make(), 0, 5, 1))

    splitEvenlyFail(0, 100, 0)
    splitEvenlySucc(0, 100, 10)
    splitEvenlySucc(5, 59, 5)
    splitEvenlySucc(4, 6, 1)
    splitEvenlySucc(0, 3, 2)
    splitEvenlyFail(5, 6, 2)
  })

  it("evenlySplitRegion into one piece succeeds without touching the region (kernel: nr_pieces == 1 returns 0)", () => {
    // damon_va_evenly_split_region() returns 0 for nr_pieces == 1 before computing sz_piece, so a
    // region smaller than the minimum region size is a successful no-op, not -EINVAL.
    const t = Target.make(null, [Region.make(0, 100)])
    assert.isTrue(evenlySplitRegion(t, 0, 1, 4096))
    assert.deepStrictEqual(pairsOf(t), [[0, 100]])
  })

  it("evenlySplitRegion inserts the pieces in place, with zeroed counters, and aligned to minRegionSz", () => {
    const t = Target.make(null, [
      Region.make(0, 4096),
      Region.make(8192, 8192 + 4096 * 7 + 100),
      Region.make(65536, 69632)
    ])
    t.regions[1]!.nrAccesses = 9
    assert.isTrue(evenlySplitRegion(t, 1, 3, 4096))
    assert.deepStrictEqual(pairsOf(t), [[0, 4096], [8192, 16384], [16384, 24576], [24576, 36964], [65536, 69632]])
    assert.strictEqual(t.regions[1]!.nrAccesses, 9)
    assert.strictEqual(t.regions[2]!.nrAccesses, 0)
  })

  it("threeRegions needs at least two gaps", () => {
    assert.isUndefined(threeRegions([], 1))
    assert.isUndefined(threeRegions(rangesOf([[0, 10]]), 1))
    assert.isUndefined(threeRegions(rangesOf([[0, 10], [20, 30]]), 1))
    assert.isUndefined(threeRegions(rangesOf([[0, 10], [10, 20], [30, 40]]), 1))
    assert.isDefined(threeRegions(rangesOf([[0, 10], [15, 20], [30, 40]]), 1))
  })

  it("threeRegions returns sorted regions excluding exactly the two biggest gaps (seeded)", () => {
    let defined = 0
    for (let seed = 0; seed < 300; seed++) {
      const rng = makeRng(seed)
      const vmas: Array<AddrRange> = []
      let pos = rng.rand(0, 1 << 20)
      const n = rng.rand(1, 14)
      for (let i = 0; i < n; i++) {
        const kind = rng.rand(0, 4)
        if (i > 0) pos += kind === 0 ? 0 : kind === 1 ? rng.rand(1, 10) : rng.rand(1, 1 << 16)
        const sz = rng.rand(1, 1 << 14)
        vmas.push({ start: pos, end: pos + sz })
        pos += sz
      }
      const gaps: Array<AddrRange> = []
      for (let i = 1; i < vmas.length; i++) {
        if (vmas[i]!.start > vmas[i - 1]!.end) gaps.push({ start: vmas[i - 1]!.end, end: vmas[i]!.start })
      }
      const result = threeRegions(vmas, 1)
      const c = `seed ${seed}`
      if (gaps.length < 2) {
        assert.isUndefined(result, c)
        continue
      }
      defined++
      assert.isDefined(result, c)
      const [r0, r1, r2] = result!
      assert.strictEqual(r0.start, vmas[0]!.start, c)
      assert.strictEqual(r2.end, vmas[vmas.length - 1]!.end, c)
      const bounds = [r0.start, r0.end, r1.start, r1.end, r2.start, r2.end]
      for (let i = 1; i < bounds.length; i++) assert.isBelow(bounds[i - 1]!, bounds[i]!, c)
      const excluded = [{ start: r0.end, end: r1.start }, { start: r1.end, end: r2.start }]
      for (const g of excluded) {
        assert.isTrue(gaps.some((x) => x.start === g.start && x.end === g.end), `${c}: [${g.start},${g.end}) is a gap`)
      }
      const smallestExcluded = Math.min(...excluded.map((g) => g.end - g.start))
      for (const g of gaps) {
        if (excluded.some((x) => x.start === g.start)) continue
        assert.isAtMost(g.end - g.start, smallestExcluded, c)
      }
      for (const v of vmas) assert.isTrue(result!.some((r) => r.start <= v.start && v.end <= r.end), c)

      // with a minimum region size, every bound is the byte-granular bound aligned up
      const m = 2 ** rng.rand(1, 13)
      const aligned = threeRegions(vmas, m)
      const up = (x: number) => Math.ceil(x / m) * m
      assert.deepStrictEqual(aligned, [
        { start: up(r0.start), end: up(r0.end) },
        { start: up(r1.start), end: up(r1.end) },
        { start: up(r2.start), end: up(r2.end) }
      ], c)
    }
    assert.isAbove(defined, 150)
  })
})
