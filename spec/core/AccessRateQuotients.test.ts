/**
 * The moving sum from a per-window quotient table (`nomvsumQuotients`, `recordAccessIn`) against
 * the per-region division (`recordAccess`): bit for bit the same, inside and outside the table.
 */
import { assert, describe, it } from "@effect/vitest"
import { movingSumSteps, nomvsumQuotients, recordAccess, recordAccessIn } from "../../src/core/AccessRate.ts"
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

describe("movingSumSteps", () => {
  it("equals as many recordAccessIn steps with the same quotient (1 000 seeded runs of up to 300 samples)", () => {
    const draw = makeRng(17)
    for (let run = 0; run < 1000; run++) {
      const lenWindow = draw.rand(1, 70_000)
      const last = draw.rand(0, 4) === 0 ? draw.rand(0, 2 ** 32) : draw.rand(0, lenWindow + 1)
      const q = nomvsumQuotients(lenWindow)
      const region = Region.make(0, 4096)
      region.lastNrAccesses = last
      region.nrAccessesBp = draw.rand(0, 2 ** 32)
      const start = region.nrAccessesBp
      const samples = draw.rand(0, 300)
      let hits = 0
      for (let i = 0; i < samples; i++) {
        const accessed = draw.rand(0, 2) === 0
        if (accessed) hits++
        recordAccessIn(region, accessed, lenWindow, q)
      }
      const t = q[last]
      const quotient = t !== undefined ? t : Math.floor(((last * 10000) >>> 0) / lenWindow)
      const got = movingSumSteps(start, samples, quotient, hits)
      if (got !== region.nrAccessesBp) assert.strictEqual(got, region.nrAccessesBp, `run ${run}: window ${lenWindow}, last ${last}, ${samples} samples, ${hits} hits`)
    }
  })

  it("stays exact when samples times the quotient passes 2^53 (against BigInt, 2 000 seeded cases)", () => {
    const draw = makeRng(23)
    const mod = 2n ** 32n
    const cases: Array<readonly [number, number, number, number]> = [[123_450_000, 40_000_001, 4_294_950_000, 0]]
    for (let i = 0; i < 2000; i++) {
      const samples = draw.rand(0, 2 ** 40)
      cases.push([draw.rand(0, 2 ** 32), samples, draw.rand(0, 2 ** 32), draw.rand(0, Math.min(samples, 2 ** 32 - 1) + 1)])
    }
    for (const [mvsum, samples, quotient, hits] of cases) {
      const big = (BigInt(mvsum) - BigInt(samples) * BigInt(quotient) + BigInt(hits) * 10000n) % mod
      const expected = Number(big < 0n ? big + mod : big)
      const got = movingSumSteps(mvsum, samples, quotient, hits)
      if (got !== expected) assert.strictEqual(got, expected, `${mvsum} - ${samples} x ${quotient} + ${hits} x 10000`)
    }
  })
})
