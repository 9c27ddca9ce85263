/**
 * damo's value syntax, by the rules of its `_damo_fmt_str.py`: what each parser reads and how
 * each style prints, including damo's quirks (a bare number is the target unit, sizes print
 * with three decimals above each binary unit, a zero time prints as `0 ns`).
 */
import { assert, describe, it } from "@effect/vitest"
import { Result } from "effect"
import * as V from "../../src/damo/DamoValues.ts"

const ok = <A>(r: Result.Result<A, string>): A => {
  assert.isTrue(Result.isSuccess(r), Result.isFailure(r) ? r.failure : "")
  return Result.getOrThrow(r)
}

describe("DamoValues", () => {
  it("numbers: JSON numbers, commas, max, Python int and float syntax", () => {
    assert.strictEqual(ok(V.textToNr(7)), 7)
    assert.strictEqual(ok(V.textToNr("1,234")), 1234)
    assert.strictEqual(ok(V.textToNr(" 12 ")), 12)
    assert.strictEqual(ok(V.textToNr("1.5")), 1.5)
    assert.strictEqual(ok(V.textToNr("max")), V.ULONG_MAX)
    assert.isTrue(Result.isFailure(V.textToNr("ten")))
    assert.isTrue(Result.isFailure(V.textToNr(true)))
  })

  it("sizes: binary units of one, two or three letters, min and max, truncated to bytes", () => {
    const cases: ReadonlyArray<readonly [unknown, number]> = [
      ["4096", 4096],
      ["4K", 4096],
      ["4 KiB", 4096],
      ["4.000 KiB", 4096],
      ["1.5 MB", 1572864],
      ["1024.000 MiB", 2 ** 30],
      ["2 G", 2 ** 31],
      ["0 B", 0],
      ["min", 0],
      ["max", V.ULONG_MAX],
      ["4.883 KiB", 5000],
      [12, 12]
    ]
    for (const [text, bytes] of cases) assert.strictEqual(ok(V.textToBytes(text)), bytes, String(text))
    assert.isTrue(Result.isFailure(V.textToBytes("4 parsecs")))
  })

  it("times: a bare number is the target unit; unit pairs add up", () => {
    assert.strictEqual(ok(V.textToUs("5000")), 5000)
    assert.strictEqual(ok(V.textToUs("5 ms")), 5000)
    assert.strictEqual(ok(V.textToUs("5ms")), 5000)
    assert.strictEqual(ok(V.textToUs("10s")), 10_000_000)
    assert.strictEqual(ok(V.textToUs("1 m 30.500 s")), 90_500_000)
    assert.strictEqual(ok(V.textToUs("1 h 2 m")), 3_720_000_000)
    assert.strictEqual(ok(V.textToUs("0 ns")), 0)
    assert.strictEqual(ok(V.textToMs("1 s")), 1000)
    assert.strictEqual(ok(V.textToMs("100")), 100)
    assert.strictEqual(ok(V.textToMs("max")), V.ULONG_MAX)
    assert.strictEqual(ok(V.textToNs("2 us")), 2000)
    assert.isTrue(Result.isFailure(V.textToUs("5 fortnights")))
  })

  it("ratios: percentages scale to bp, permil and percent; a bare number is the unit", () => {
    assert.strictEqual(ok(V.textToBp("40 %")), 4000)
    assert.strictEqual(ok(V.textToBp("4%")), 400)
    assert.strictEqual(ok(V.textToBp("400")), 400)
    assert.strictEqual(ok(V.textToPermil("50 %")), 500)
    assert.strictEqual(ok(V.textToPermil("0 %")), 0)
    assert.strictEqual(ok(V.textToPermil("0.1 %")), 1)
    assert.strictEqual(ok(V.textToPercent("5 %")), 5)
    assert.strictEqual(ok(V.textToPercent("5")), 5)
    assert.strictEqual(ok(V.textToPercent("min")), 0)
    assert.strictEqual(ok(V.textToPercent("18,446,744,073,709,551,615 %")), V.ULONG_MAX)
    assert.isTrue(Result.isFailure(V.textToPercent("3 samples")))
  })

  it("booleans and number-unit pairs", () => {
    assert.isTrue(ok(V.textToBool("Yes")))
    assert.isFalse(ok(V.textToBool(false)))
    assert.isTrue(Result.isFailure(V.textToBool("maybe")))
    assert.deepStrictEqual(ok(V.textToNrUnit("3 samples")), [3, "samples"])
    assert.deepStrictEqual(ok(V.textToNrUnit("1,000 aggr_intervals")), [1000, "aggr_intervals"])
    assert.isTrue(Result.isFailure(V.textToNrUnit("3")))
  })

  it("human printing: commas, sizes above each unit with three decimals, exact and short times, ratios", () => {
    assert.strictEqual(V.formatNr(1000, false), "1,000")
    assert.strictEqual(V.formatNr(V.ULONG_MAX, false), "18,446,744,073,709,551,615")
    assert.strictEqual(V.formatNr(-1234, false), "-1,234")
    assert.strictEqual(V.formatSz(1024, false), "1024 B")
    assert.strictEqual(V.formatSz(4096, false), "4.000 KiB")
    assert.strictEqual(V.formatSz(2 ** 30, false), "1024.000 MiB")
    assert.strictEqual(V.formatSz(5000, false), "4.883 KiB")
    assert.strictEqual(V.formatSz(1088, false), "1.062 KiB", "a tie rounds to even, as Python's %.3f")
    assert.strictEqual(V.formatSz(V.ULONG_MAX, false), "max")
    assert.strictEqual(V.formatTimeUs(5000, false), "5 ms")
    assert.strictEqual(V.formatTimeUs(0, false), "0 ns")
    assert.strictEqual(V.formatTimeUs(1_500_000, false), "1.500 s")
    assert.strictEqual(V.formatTimeUs(90_000_000, false), "1 m 30 s")
    assert.strictEqual(V.formatTimeUs(V.ULONG_MAX, false), "max")
    assert.strictEqual(V.formatTimeUsExact(5_000_000, false), "5 s")
    assert.strictEqual(V.formatTimeUsExact(3_661_000_001, false), "1 h 1 m 1 s 1 us")
    assert.strictEqual(V.formatTimeMsExact(0, false), "0 ns")
    assert.strictEqual(V.formatTimeMsExact(V.ULONG_MAX, false), "max")
    assert.strictEqual(V.formatPermil(500, false), "50 %")
    assert.strictEqual(V.formatPermil(1, false), "0.1 %")
    assert.strictEqual(V.formatBp(0, false), "0 %")
    assert.strictEqual(V.formatBp(4000, false), "40 %")
  })

  it("raw printing: integers for numbers, sizes and times, six decimals for ratios", () => {
    assert.strictEqual(V.formatNr(1000, true), "1000")
    assert.strictEqual(V.formatNr(V.ULONG_MAX, true), "18446744073709551615")
    assert.strictEqual(V.formatSz(4096, true), "4096")
    assert.strictEqual(V.formatTimeUs(5000, true), "5000")
    assert.strictEqual(V.formatTimeNsExact(1_700_000_000_123_456_768, true), "1700000000123456768")
    assert.strictEqual(V.formatPermil(500, true), "500.000000")
    assert.strictEqual(V.formatBp(0, true), "0.000000")
  })

  it("printed values read back (seeded): sizes within damo's rounding, exact times exactly", () => {
    let x = 12345
    for (let i = 0; i < 500; i++) {
      x = (x * 1103515245 + 12345) % 2 ** 31
      const bytes = x * (i % 7 === 0 ? 4096 : 1)
      const back = ok(V.textToBytes(V.formatSz(bytes, false)))
      assert.isAtMost(Math.abs(back - bytes), bytes / 1000, `${bytes}`)
      assert.strictEqual(ok(V.textToBytes(V.formatSz(bytes, true))), bytes)
      assert.strictEqual(ok(V.textToUs(V.formatTimeUsExact(x, false))), x, `${x} us`)
    }
  })
})
