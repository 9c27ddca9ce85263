/**
 * The rules that turn the tree's u64 values into the library's numbers: saturation, the kernel's
 * 32-bit truncation, the address limit, quota goals held with the same score, and what files show
 * after a copy from the running context.
 */
import { assert, describe, it } from "@effect/vitest"
import { Result } from "effect"
import { feedLoopNextInput } from "../../src/core/FeedLoop.ts"
import { makeRng, type Rng } from "../../src/core/Rng.ts"
import {
  address,
  goalValues,
  saturate,
  shownAfterCopy,
  shownEffectiveSz,
  truncateU32
} from "../../src/sysfs/TreeNumbers.ts"

const ULONG_MAX = 18446744073709551615n
const SAFE = Number.MAX_SAFE_INTEGER
const BP = 10000n

const bigRand = (rng: Rng): bigint => {
  switch (rng.rand(0, 5)) {
    case 0:
      return BigInt(rng.rand(1, 20000))
    case 1:
      return BigInt(rng.rand(1, 2 ** 52))
    case 2:
      return (BigInt(rng.next32()) << 32n) | BigInt(rng.next32())
    case 3:
      return BigInt(SAFE) + BigInt(rng.rand(-3, 4))
    default:
      return ULONG_MAX - BigInt(rng.rand(0, 1000))
  }
}

const multFrac = (x: bigint, n: bigint, d: bigint): bigint => (x / d) * n + ((x % d) * n) / d

describe("TreeNumbers", () => {
  it("saturate holds values up to 2^53-2 exactly and everything above as 2^53-1", () => {
    assert.strictEqual(saturate(0n), 0)
    assert.strictEqual(saturate(BigInt(SAFE - 1)), SAFE - 1)
    assert.strictEqual(saturate(BigInt(SAFE)), SAFE)
    assert.strictEqual(saturate(BigInt(SAFE) + 1n), SAFE)
    assert.strictEqual(saturate(ULONG_MAX), SAFE)
  })

  it("truncateU32 keeps the low 32 bits, as the kernel's unsigned int fields do", () => {
    assert.strictEqual(truncateU32(ULONG_MAX), 0xffff_ffff)
    assert.strictEqual(truncateU32(1n << 32n), 0)
    assert.strictEqual(truncateU32((1n << 32n) + 5n), 5)
    assert.strictEqual(truncateU32(4294967295n), 4294967295)
  })

  it("address refuses above 2^53-1, naming the file and the value", () => {
    assert.strictEqual(Result.getOrThrow(address("a/end", BigInt(SAFE))), SAFE)
    const r = address("a/end", BigInt(SAFE) + 1n)
    assert.isTrue(Result.isFailure(r))
    if (Result.isFailure(r)) {
      assert.include(r.failure.message, "a/end")
      assert.include(r.failure.message, "9007199254740992")
    }
  })

  it("goalValues keeps a user_input goal's score, so both tuners decide the same (seeded)", () => {
    for (let seed = 0; seed < 2000; seed++) {
      const rng = makeRng(seed)
      const target = bigRand(rng)
      const current = rng.rand(0, 5) === 0 ? 0n : bigRand(rng)
      const held = goalValues("user_input", target, current)
      const c = `seed ${seed}: target ${target} current ${current}`
      assert.isTrue(Number.isSafeInteger(held.targetValue) && held.targetValue > 0, c)
      assert.isTrue(Number.isSafeInteger(held.currentValue) && held.currentValue >= 0, c)
      const exact = multFrac(current, BP, target)
      const kept = multFrac(BigInt(held.currentValue), BP, BigInt(held.targetValue))
      const last = bigRand(rng)
      assert.strictEqual(feedLoopNextInput(last, kept), feedLoopNextInput(last, exact), `${c}: consist tuner`)
      assert.strictEqual(kept >= BP, exact >= BP, `${c}: temporal tuner`)
      if (target <= BigInt(SAFE) && current <= BigInt(SAFE)) {
        assert.deepStrictEqual(held, { targetValue: Number(target), currentValue: Number(current) }, c)
      }
    }
  })

  it("goalValues saturates a measured metric's target (its current value comes from the system)", () => {
    assert.deepStrictEqual(goalValues("node_mem_used_bp", ULONG_MAX, 123n), { targetValue: SAFE, currentValue: 0 })
    assert.deepStrictEqual(goalValues("some_mem_psi_us", 1000n, 5n), { targetValue: 1000, currentValue: 0 })
  })

  it("shownAfterCopy keeps the written value when the running one was built from it", () => {
    assert.strictEqual(shownAfterCopy(ULONG_MAX, SAFE), ULONG_MAX)
    assert.strictEqual(shownAfterCopy(5000n, 5000), 5000n)
    assert.strictEqual(shownAfterCopy(5000n, 7000), 7000n)
    assert.strictEqual(shownAfterCopy(ULONG_MAX, 7000), 7000n)
  })

  it("shownEffectiveSz shows a saturated esz as the size quota written, or ULONG_MAX", () => {
    assert.strictEqual(shownEffectiveSz(4096, ULONG_MAX), 4096n)
    assert.strictEqual(shownEffectiveSz(SAFE, ULONG_MAX - 1n), ULONG_MAX - 1n)
    assert.strictEqual(shownEffectiveSz(SAFE, 0n), ULONG_MAX)
  })
})
