import { assert, describe, it } from "@effect/vitest"
import { Rng } from "effect-damon"
import * as AddressAxis from "../../src/report/AddressAxis.ts"
import { close, randomRanges } from "./gen.ts"

describe("AddressAxis", () => {
  it("fromRanges - merges overlapping and touching ranges, squeezes the gaps out", () => {
    const axis = AddressAxis.fromRanges([{ start: 5000, end: 6000 }, { start: 0, end: 1000 }, { start: 1000, end: 1500 }, { start: 5500, end: 7000 }])
    assert.deepStrictEqual(axis.spans, [{ start: 0, end: 1500, offset: 0 }, { start: 5000, end: 7000, offset: 1500 }])
    assert.strictEqual(axis.total, 3500)
    assert.strictEqual(AddressAxis.offsetOf(axis, 5000), 1500)
    assert.strictEqual(AddressAxis.offsetOf(axis, 3000), undefined)
    assert.strictEqual(AddressAxis.addressAt(axis, 1500), 5000)
    assert.isTrue(AddressAxis.covers(axis, 5100, 7000))
    assert.isFalse(AddressAxis.covers(axis, 1400, 5100))
    assert.isFalse(AddressAxis.covers(axis, 6900, 7001))
  })

  it("offsetOf and addressAt are inverse inside the spans (seeded)", () => {
    const rng = Rng.makeRng(11)
    for (let run = 0; run < 200; run++) {
      const axis = AddressAxis.fromRanges(randomRanges(rng, rng.rand(1, 6)))
      const span = axis.spans[rng.rand(0, axis.spans.length)]!
      const addr = rng.rand(span.start, span.end)
      assert.strictEqual(AddressAxis.addressAt(axis, AddressAxis.offsetOf(axis, addr)!), addr)
    }
  })

  it("spreadOverColumns - hands out exactly the bytes inside the axis, over the right columns (seeded)", () => {
    const rng = Rng.makeRng(12)
    for (let run = 0; run < 500; run++) {
      const ranges = randomRanges(rng, rng.rand(1, 6))
      const axis = AddressAxis.fromRanges(ranges)
      const width = rng.rand(1, 200)
      const start = rng.rand(ranges[0]!.start - 1000, ranges[ranges.length - 1]!.end)
      const end = rng.rand(start + 1, ranges[ranges.length - 1]!.end + 1000)
      let inside = 0
      for (const s of axis.spans) inside += Math.max(0, Math.min(end, s.end) - Math.max(start, s.start))
      let spread = 0
      const colBytes = axis.total / width
      AddressAxis.spreadOverColumns(axis, width, start, end, (col, bytes) => {
        assert.isTrue(col >= 0 && col < width && bytes > 0)
        assert.isAtMost(bytes, colBytes * (1 + 1e-9) + 1e-6)
        spread += bytes
      })
      assert.isTrue(close(spread, inside), `spread ${spread} vs inside ${inside}`)
    }
  })

  it("spreadOverColumns - the whole axis reaches every column", () => {
    const rng = Rng.makeRng(13)
    for (let run = 0; run < 200; run++) {
      const axis = AddressAxis.fromRanges(randomRanges(rng, rng.rand(1, 5)))
      const width = rng.rand(1, 300)
      const hit = new Set<number>()
      for (const s of axis.spans) AddressAxis.spreadOverColumns(axis, width, s.start, s.end, (col) => hit.add(col))
      assert.strictEqual(hit.size, width)
    }
  })

  it("rangesAt - maps axis offsets back to address pieces", () => {
    const axis = AddressAxis.fromRanges([{ start: 0, end: 1000 }, { start: 5000, end: 6000 }])
    const pieces: Array<[number, number]> = []
    AddressAxis.rangesAt(axis, 500, 1500, (s, e) => pieces.push([s, e]))
    assert.deepStrictEqual(pieces, [[500, 1000], [5000, 5500]])
  })
})
