/**
 * Kernel kunit ports for `struct damon_region` (core-kunit.h, ~v6.19 copy "B") and property tests
 * of the size-weighted merge.
 */
import { assert, describe, it } from "@effect/vitest"
import { makeRng } from "../../src/core/Rng.ts"
import * as Region from "../../src/model/Region.ts"
import * as Target from "../../src/model/Target.ts"

describe("Region", () => {
  it("damon_test_regions", () => {
    // port: damon_test_regions (mm/damon/tests/core-kunit.h)
    const r = Region.make(1, 2)
    assert.strictEqual(r.start, 1)
    assert.strictEqual(r.end, 2)
    assert.strictEqual(r.nrAccesses, 0)
    assert.strictEqual(r.nrAccessesBp, 0)
    assert.strictEqual(r.lastNrAccesses, 0)
    assert.strictEqual(r.age, 0)

    const t = Target.make()
    assert.strictEqual(Target.nrRegions(t), 0)
    // damon_add_region(r, t): append to the region list
    t.regions.push(r)
    assert.strictEqual(Target.nrRegions(t), 1)
    // damon_destroy_region(r, t): unlink from the region list
    t.regions.splice(t.regions.indexOf(r), 1)
    assert.strictEqual(Target.nrRegions(t), 0)
  })

  it("damon_test_split_at", () => {
    // port: damon_test_split_at (mm/damon/tests/core-kunit.h)
    const t = Target.make()
    const r = Region.make(0, 100)
    r.nrAccessesBp = 420000
    r.nrAccesses = 42
    r.lastNrAccesses = 15
    r.age = 10
    t.regions.push(r)
    const rNew = Target.splitRegionAt(t, 0, 25)
    assert.strictEqual(Target.nrRegions(t), 2)
    assert.strictEqual(r.start, 0)
    assert.strictEqual(r.end, 25)

    // damon_next_region(r)
    assert.strictEqual(t.regions[1], rNew)
    assert.strictEqual(rNew.start, 25)
    assert.strictEqual(rNew.end, 100)

    assert.strictEqual(r.nrAccessesBp, rNew.nrAccessesBp)
    assert.strictEqual(r.nrAccesses, rNew.nrAccesses)
    assert.strictEqual(r.lastNrAccesses, rNew.lastNrAccesses)
    assert.strictEqual(r.age, rNew.age)
  })

  it("damon_test_merge_two", () => {
    // port: damon_test_merge_two (mm/damon/tests/core-kunit.h)
    const t = Target.make()
    const r = Region.make(0, 100)
    r.nrAccesses = 10
    r.nrAccessesBp = 100000
    r.age = 9
    t.regions.push(r)
    const r2 = Region.make(100, 300)
    r2.nrAccesses = 20
    r2.nrAccessesBp = 200000
    r2.age = 21
    t.regions.push(r2)

    // damon_merge_two_regions(t, r, r2): merge, then unlink r2
    Region.mergeTwo(r, r2)
    t.regions.splice(t.regions.indexOf(r2), 1)
    assert.strictEqual(r.start, 0)
    assert.strictEqual(r.end, 300)
    assert.strictEqual(r.nrAccesses, 16)
    assert.strictEqual(r.nrAccessesBp, 160000)
    assert.strictEqual(r.age, 17)

    let i = 0
    for (const r3 of t.regions) {
      assert.strictEqual(r3, r)
      i++
    }
    assert.strictEqual(i, 1)
  })

  it("splitAt keeps the bytes and copies every counter to the right piece (seeded)", () => {
    for (let seed = 0; seed < 200; seed++) {
      const rng = makeRng(seed)
      const start = rng.rand(0, 1 << 30)
      const sz = rng.rand(2, 1 << 20)
      const r = Region.make(start, start + sz)
      r.nrAccesses = rng.rand(0, 1000)
      r.nrAccessesBp = rng.rand(0, 10_000_000)
      r.lastNrAccesses = rng.rand(0, 1000)
      r.age = rng.rand(0, 1000)
      const before = Region.clone(r)
      const szLeft = rng.rand(1, sz)
      const right = Region.splitAt(r, szLeft)
      assert.strictEqual(r.start, before.start)
      assert.strictEqual(r.end, start + szLeft)
      assert.strictEqual(right.start, r.end)
      assert.strictEqual(right.end, before.end)
      assert.strictEqual(Region.size(r) + Region.size(right), sz)
      for (const piece of [r, right]) {
        assert.strictEqual(piece.nrAccesses, before.nrAccesses)
        assert.strictEqual(piece.nrAccessesBp, before.nrAccessesBp)
        assert.strictEqual(piece.lastNrAccesses, before.lastNrAccesses)
        assert.strictEqual(piece.age, before.age)
      }
    }
  })

  it("mergeTwo gives the size-weighted averages (seeded)", () => {
    for (let seed = 0; seed < 200; seed++) {
      const rng = makeRng(seed)
      const start = rng.rand(0, 1 << 30)
      // Sizes up to 2^40 make `nr * size` exceed 2^53 sometimes: the average must stay exact.
      const szL = rng.rand(1, seed % 2 === 0 ? 1 << 20 : 2 ** 40)
      const szR = rng.rand(1, seed % 3 === 0 ? 1 << 20 : 2 ** 40)
      const left = Region.make(start, start + szL)
      const right = Region.make(left.end, left.end + szR)
      for (const r of [left, right]) {
        // nrAccesses * 10000 stays below 2^32 here; the u32 wrap above that has its own test.
        r.nrAccesses = rng.rand(0, 429_497)
        r.nrAccessesBp = rng.rand(0, 0x1_0000_0000)
        r.lastNrAccesses = rng.rand(0, 0x1_0000_0000)
        r.age = rng.rand(0, 0x1_0000_0000)
      }
      const l0 = Region.clone(left)
      const r0 = Region.clone(right)
      Region.mergeTwo(left, right)
      const avg = (a: number, b: number) =>
        Number((BigInt(a) * BigInt(szL) + BigInt(b) * BigInt(szR)) / BigInt(szL + szR))
      assert.strictEqual(left.start, l0.start)
      assert.strictEqual(left.end, r0.end)
      assert.strictEqual(left.nrAccesses, avg(l0.nrAccesses, r0.nrAccesses))
      assert.strictEqual(left.age, avg(l0.age, r0.age))
      assert.strictEqual(left.nrAccessesBp, left.nrAccesses * 10000)
      assert.strictEqual(left.lastNrAccesses, l0.lastNrAccesses)
      assert.isAtLeast(left.nrAccesses, Math.min(l0.nrAccesses, r0.nrAccesses))
      assert.isAtMost(left.nrAccesses, Math.max(l0.nrAccesses, r0.nrAccesses))
      assert.isAtLeast(left.age, Math.min(l0.age, r0.age))
      assert.isAtMost(left.age, Math.max(l0.age, r0.age))
    }
  })

  it("mergeTwo computes nrAccessesBp in u32 like the kernel (nr_accesses * 10000 wraps)", () => {
    // damon_merge_two_regions(): `l->nr_accesses_bp = l->nr_accesses * 10000` on unsigned int.
    const left = Region.make(0, 100)
    const right = Region.make(100, 200)
    left.nrAccesses = 500_000
    right.nrAccesses = 500_000
    Region.mergeTwo(left, right)
    assert.strictEqual(left.nrAccesses, 500_000)
    assert.strictEqual(left.nrAccessesBp, (500_000 * 10000) % 2 ** 32)
  })
})
