/**
 * The moving sum from a per-window quotient table (`nomvsumQuotients`, `recordAccessIn`) against
 * the per-region division (`recordAccess`): bit for bit the same, inside and outside the table.
 */
import { assert, describe, it } from "@effect/vitest"
import { nomvsumQuotients, recordAccess, recordAccessIn } from "../../src/core/AccessRate.ts"
import { makeRng } from "../../src/core/Rng.ts"
import * as Region from "../../src/model/Region.ts"

describe("nomvsumQuotients and recordAccessIn", () => {
  it("tabulates floor(n * 10000 / lenWindow) for n in [0, lenWindow], at most 65 536 entries", () => {
    assert.deepStrictEqual([...nomvsumQuotients(3)], [0, 3333, 6666, 10000])
    assert.deepStrictEqual([...nomvsumQuotients(1)], [0, 10000])
    assert.strictEqual(nomvsumQuotients(1_000_000).length, 65_537)
  })

  it("records exactly what recordAccess records (2000 seeded cases, counters in and past the table)", () => {
    const rng = makeRng(12)
    for (let i = 0; i < 2000; i++) {
      const lenWindow = i % 4 === 0 ? rng.rand(65_537, 2_000_000) : rng.rand(1, 400)
      const q = nomvsumQuotients(lenWindow)
      const a = Region.make(0, 4096)
      // Mostly within a window's worth of accesses, sometimes past it (after an attrs change)
      // or wrapping u32 arithmetic.
      a.lastNrAccesses = i % 5 === 0 ? rng.rand(0, 2 ** 32) : rng.rand(0, lenWindow + 3)
      a.nrAccessesBp = rng.rand(0, 2 ** 32)
      a.nrAccesses = i % 7 === 0 ? 2 ** 32 - 1 : rng.rand(0, lenWindow + 1)
      const b = Region.make(0, 4096)
      Object.assign(b, { lastNrAccesses: a.lastNrAccesses, nrAccessesBp: a.nrAccessesBp, nrAccesses: a.nrAccesses })
      for (let k = 0; k < 5; k++) {
        const accessed = rng.float() < 0.5
        recordAccess(a, accessed, lenWindow)
        recordAccessIn(b, accessed, lenWindow, q)
        assert.deepStrictEqual([b.nrAccessesBp, b.nrAccesses], [a.nrAccessesBp, a.nrAccesses], `case ${i} step ${k}`)
      }
    }
  })
})
