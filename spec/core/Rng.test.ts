/**
 * Kernel kunit port of `damon_rand()` (core-kunit.h, newest mainline copy "A": the range is
 * [l, r)) and properties of the seeded generator.
 */
import { assert, describe, it } from "@effect/vitest"
import { makeRng } from "../../src/core/Rng.ts"

describe("Rng", () => {
  it("damon_test_rand", () => {
    // port: damon_test_rand (mm/damon/tests/core-kunit.h)
    // The kernel seeds from get_random_u64(); here the seed is pinned.
    const rng = makeRng(0x5eed)
    const seen = new Set<number>()
    for (let i = 0; i < 10000; i++) {
      const x = rng.rand(0, 10)
      assert.isAtLeast(x, 0)
      assert.isAtMost(x, 9)
      assert.isTrue(Number.isInteger(x))
      seen.add(x)
    }
    assert.strictEqual(seen.size, 10)
  })

  it("rand(l, r) is an integer in [l, r), and l when r <= l + 1 (seeded)", () => {
    for (let seed = 0; seed < 200; seed++) {
      const rng = makeRng(seed)
      const l = rng.rand(0, 2 ** 40)
      const spans = [0, 1, 2, 3, 10, 2 ** 20, 2 ** 32, 2 ** 32 + 1, 2 ** 45]
      for (const span of spans) {
        const x = rng.rand(l, l + span)
        assert.isTrue(Number.isSafeInteger(x), `seed ${seed} span ${span}`)
        if (span <= 1) assert.strictEqual(x, l)
        else {
          assert.isAtLeast(x, l)
          assert.isBelow(x, l + span)
        }
      }
    }
  })

  it("float() is in [0, 1)", () => {
    const rng = makeRng(3)
    for (let i = 0; i < 10000; i++) {
      const f = rng.float()
      assert.isTrue(f >= 0 && f < 1)
    }
  })

  it("the same seed replays the same stream; a saved state resumes it", () => {
    const a = makeRng(42)
    const b = makeRng(42)
    const xs = Array.from({ length: 100 }, () => a.rand(0, 1000))
    const ys = Array.from({ length: 100 }, () => b.rand(0, 1000))
    assert.deepStrictEqual(xs, ys)
    const c = makeRng(0, a.state())
    assert.deepStrictEqual(
      Array.from({ length: 50 }, () => c.next32()),
      Array.from({ length: 50 }, () => a.next32())
    )
    const other = makeRng(43)
    assert.notDeepEqual(Array.from({ length: 100 }, () => other.rand(0, 1000)), xs)
  })
})
