/**
 * `Rng.randRegions`, the batch form of `rand` sampling draws from: the numbers `rand` gives, in
 * order, for every kind of range (empty, one byte, up to 2^32, wider), and the same state after;
 * the address list holds `NaN` for an empty range (no address to test there).
 */
import { assert, describe, it } from "@effect/vitest"
import { makeRng } from "../../src/core/Rng.ts"

/** Up to 49 ranges of every kind (empty, one byte, up to 2^32, exactly 2^32, wider), drawn from `shape`. */
const rangesOf = (shape: ReturnType<typeof makeRng>) =>
  Array.from({ length: shape.rand(0, 50) }, () => {
    const start = shape.rand(0, 2 ** 47)
    const kind = shape.rand(0, 5)
    const span = kind === 0 ? 0 : kind === 1 ? 1 : kind === 2 ? shape.rand(2, 2 ** 32 + 1) : kind === 3 ? shape.rand(2 ** 32 + 1, 2 ** 45) : 2 ** 32
    return { start, end: start + span, samplingAddr: -1 }
  })

describe("Rng.randRegions", () => {
  it("draws what rand draws, in order, and leaves the same state (300 seeded batches)", () => {
    const shape = makeRng(99)
    for (let seed = 0; seed < 300; seed++) {
      const regions = rangesOf(shape)
      const n = regions.length
      const batch = makeRng(seed)
      const single = makeRng(seed)
      const out = new Float64Array(n + 1).fill(-2)
      batch.randRegions!(regions, n, out)
      const expected = regions.map((r) => single.rand(r.start, r.end))
      assert.deepStrictEqual(regions.map((r) => r.samplingAddr), expected, `seed ${seed}`)
      const expectedOut = regions.map((r, i) => (r.end > r.start ? expected[i] : Number.NaN))
      assert.deepStrictEqual([...out.subarray(0, n)], expectedOut, `seed ${seed}`)
      assert.strictEqual(out[n], -2)
      assert.deepStrictEqual(batch.state(), single.state(), `seed ${seed}`)
    }
  })

  it("needs no clamp up to 2^32: the largest draw times any span stays below the span (10 000 spans and every power of two, +-3)", () => {
    // randRegions computes floor(t * span / 2^32) without rand's Math.min(.., end - 1); the
    // product is inexact past 2^53, so this checks its rounding never reaches span * 2^32.
    const tMax = 2 ** 32 - 1
    const spans: Array<number> = []
    for (let k = 1; k <= 32; k++) for (let d = -3; d <= 3; d++) spans.push(2 ** k + d)
    const pick = makeRng(7)
    for (let i = 0; i < 10_000; i++) spans.push(pick.rand(2, 2 ** 32 + 1))
    for (const span of spans.filter((s) => s >= 2 && s <= 2 ** 32)) {
      for (const t of [tMax, tMax - 1, 2 ** 31, 0]) {
        const q = Math.floor((t * span) / 2 ** 32)
        assert.isTrue(q >= 0 && q <= span - 1, `span ${span}, t ${t}: ${q}`)
      }
    }
  })
})

describe("Rng.randSpans", () => {
  it("draws what randRegions draws over the same ranges, without writing a region, and leaves the same state (300 seeded batches)", () => {
    const shape = makeRng(101)
    for (let seed = 0; seed < 300; seed++) {
      const regions = rangesOf(shape)
      const n = regions.length
      const starts = Float64Array.from(regions, (r) => r.start)
      const spans = Float64Array.from(regions, (r) => r.end - r.start)
      const byRegions = makeRng(seed)
      const bySpans = makeRng(seed)
      const expected = new Float64Array(n)
      byRegions.randRegions!(regions, n, expected)
      const out = new Float64Array(n + 1).fill(-2)
      bySpans.randSpans!(starts, spans, n, out)
      assert.deepStrictEqual([...out.subarray(0, n)], [...expected], `seed ${seed}`)
      assert.strictEqual(out[n], -2)
      assert.deepStrictEqual(bySpans.state(), byRegions.state(), `seed ${seed}`)
    }
  })
})
