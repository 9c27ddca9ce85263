/**
 * Property tests of `damon_feed_loop_next_input()` (mm/damon/core.c). The kernel's kunit case for
 * it (damon_test_feed_loop_next_input) is ported with the DAMOS tests.
 */
import { assert, describe, it } from "@effect/vitest"
import { feedLoopNextInput } from "../../src/core/FeedLoop.ts"
import { makeRng, type Rng } from "../../src/core/Rng.ts"

const ULONG_MAX = 18446744073709551615n
const GOAL = 10000n
const MIN_INPUT = 10000n

const bigRand = (rng: Rng): bigint => {
  switch (rng.rand(0, 4)) {
    case 0:
      return BigInt(rng.rand(0, 20000))
    case 1:
      return BigInt(rng.rand(0, 2 ** 40))
    case 2:
      return (BigInt(rng.next32()) << 32n) | BigInt(rng.next32())
    default:
      return ULONG_MAX - BigInt(rng.rand(0, 1000))
  }
}

const scoreRand = (rng: Rng): bigint =>
  rng.rand(0, 4) === 0 ? BigInt(rng.rand(20000, 2 ** 40)) : BigInt(rng.rand(0, 20001))

const abs = (x: bigint): bigint => (x < 0n ? -x : x)

describe("FeedLoop", () => {
  it("feedLoopNextInput: goal keeps, below grows, above shrinks to at least the minimum (seeded)", () => {
    for (let seed = 0; seed < 500; seed++) {
      const rng = makeRng(seed)
      const last = bigRand(rng)
      const score = scoreRand(rng)
      const next = feedLoopNextInput(last, score)
      const c = `seed ${seed}: last ${last} score ${score}`
      assert.isTrue(next >= 0n && next <= ULONG_MAX, c)
      if (score === GOAL) assert.strictEqual(next, last, c)
      else if (score >= 2n * GOAL) assert.strictEqual(next, MIN_INPUT, c)
      else if (score < GOAL) {
        assert.isTrue(next >= last, c)
        // the step is last * diff / goal (or its overflow-safe form), saturating at ULONG_MAX
        if (last * (GOAL - score) >= GOAL && last < ULONG_MAX) assert.isTrue(next > last, c)
      } else {
        assert.isTrue(next >= MIN_INPUT, c)
        assert.isTrue(next <= (last > MIN_INPUT ? last : MIN_INPUT), c)
        if (last >= MIN_INPUT) assert.isTrue(next <= last, c)
      }
    }
  })

  it("feedLoopNextInput is non-increasing in the score, and the step grows with the distance (seeded)", () => {
    // Only from inputs at or above the minimum: below it, an over-achieving score is clamped *up*
    // to 10000 and so can exceed the grown input of an under-achieving one (kernel behaviour).
    for (let seed = 0; seed < 500; seed++) {
      const rng = makeRng(seed)
      let last = bigRand(rng)
      if (last < MIN_INPUT) last += MIN_INPUT
      let s1 = scoreRand(rng)
      let s2 = scoreRand(rng)
      if (s1 > s2) [s1, s2] = [s2, s1]
      const n1 = feedLoopNextInput(last, s1)
      const n2 = feedLoopNextInput(last, s2)
      const c = `seed ${seed}: last ${last} scores ${s1} <= ${s2}`
      assert.isTrue(n1 >= n2, c)
      // on the same side of the goal, a farther score moves the input at least as far
      if (s2 < 2n * GOAL) {
        const sameSide = (s1 < GOAL && s2 < GOAL) || (s1 > GOAL && s2 > GOAL)
        if (sameSide) {
          const far = abs(s1 - GOAL) >= abs(s2 - GOAL) ? n1 : n2
          const near = far === n1 ? n2 : n1
          assert.isTrue(abs(far - last) >= abs(near - last), c)
        }
      }
    }
  })

  it("feedLoopNextInput matches max(last * (1 + (goal - score) / goal), min) in exact arithmetic", () => {
    const cases: ReadonlyArray<readonly [bigint, bigint, bigint]> = [
      [900000n, 200n, 900000n + (900000n * 9800n) / 10000n],
      [900000n, 2000n, 900000n + (900000n * 8000n) / 10000n],
      [900000n, 15000n, 900000n - (900000n * 5000n) / 10000n],
      [900000n, 19999n, 10000n],
      [900000n, 250000000n, 10000n],
      [5000n, 15000n, 10000n],
      [2880n, 3036n, 2880n + (2880n * 6964n) / 10000n],
      [ULONG_MAX, 0n, ULONG_MAX],
      // overflow-safe form: last / goal * diff
      [ULONG_MAX - 5n, 15000n, ULONG_MAX - 5n - ((ULONG_MAX - 5n) / 10000n) * 5000n]
    ]
    for (const [last, score, expected] of cases) assert.strictEqual(feedLoopNextInput(last, score), expected)
  })
})
