/**
 * The unsigned-arithmetic helpers (`src/internal/uint.ts`) against exact BigInt arithmetic.
 */
import { assert, describe, it } from "@effect/vitest"
import { makeRng } from "../../src/core/Rng.ts"
import { alignDown } from "../../src/internal/uint.ts"

describe("uint", () => {
  it("alignDown is ALIGN_DOWN for integers up to 2^53 - 1 and any alignment up to 2^40 (20 000 seeded cases, edges)", () => {
    const rng = makeRng(31)
    const cases: Array<[number, number]> = [
      [0, 4096],
      [4095, 4096],
      [4096, 4096],
      [2 ** 53 - 1, 4096],
      [2 ** 53 - 1, 3],
      [2 ** 53 - 2, 2 ** 40],
      [2 ** 32 + 7, 2 ** 21]
    ]
    for (let i = 0; i < 20_000; i++) {
      const x = rng.rand(0, 2 ** 53)
      const a = i % 2 === 0 ? 2 ** rng.rand(0, 41) : rng.rand(1, 2 ** 40)
      cases.push([x, a])
    }
    for (const [x, a] of cases) {
      const exact = Number(BigInt(x) - (BigInt(x) % BigInt(a)))
      assert.strictEqual(alignDown(x, a), exact, `alignDown(${x}, ${a})`)
    }
  })

  it("alignDown rounds a negative value toward zero, as x - x % a (callers never pass one, the result stays defined)", () => {
    assert.strictEqual(alignDown(-5000, 4096), -4096)
    assert.strictEqual(alignDown(-4096, 4096), -4096)
  })
})
