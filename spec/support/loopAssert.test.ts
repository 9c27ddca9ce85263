/**
 * The loop assertions (`spec/support/loopAssert.ts`) pass and fail exactly where chai's do, with
 * chai's message.
 */
import { assert as chai, describe, it } from "@effect/vitest"
import { assert } from "./loopAssert.ts"

/** What chai throws for the call, or undefined when it passes. */
const failure = (f: () => void): string | undefined => {
  try {
    f()
    return undefined
  } catch (e) {
    return e instanceof Error ? `${e.name}: ${e.message}` : String(e)
  }
}

const cases: ReadonlyArray<readonly [string, (a: typeof chai) => void]> = [
  ["isTrue true", (a) => a.isTrue(true, "m")],
  ["isTrue false", (a) => a.isTrue(false, "m")],
  ["isTrue 1", (a) => a.isTrue(1, "m")],
  ["isFalse false", (a) => a.isFalse(false, "m")],
  ["isFalse 0", (a) => a.isFalse(0, "m")],
  ["strictEqual 1 1", (a) => a.strictEqual(1, 1, "m")],
  ["strictEqual 1 '1'", (a) => a.strictEqual<unknown>(1, "1", "m")],
  ["strictEqual NaN NaN", (a) => a.strictEqual(Number.NaN, Number.NaN, "m")],
  ["strictEqual {} {}", (a) => a.strictEqual({}, {}, "m")],
  ["isAbove 2 1", (a) => a.isAbove(2, 1, "m")],
  ["isAbove 1 1", (a) => a.isAbove(1, 1, "m")],
  ["isAbove NaN 1", (a) => a.isAbove(Number.NaN, 1, "m")],
  ["isAtLeast 1 1", (a) => a.isAtLeast(1, 1, "m")],
  ["isAtLeast 0 1", (a) => a.isAtLeast(0, 1)],
  ["isBelow 0 1", (a) => a.isBelow(0, 1, "m")],
  ["isBelow 1 1", (a) => a.isBelow(1, 1, "m")],
  ["isAtMost 1 1", (a) => a.isAtMost(1, 1, "m")],
  ["isAtMost 2 1", (a) => a.isAtMost(2, 1, "m")],
  ["isAtMost '1' 2 (not a number)", (a) => a.isAtMost("1" as unknown as number, 2, "m")],
  ["match 'abc' /b/", (a) => a.match("abc", /b/, "m")],
  ["match 'abc' /x/", (a) => a.match("abc", /x/, "m")],
  ["match 123 /2/ (not a string: exec makes it one)", (a) => a.match(123 as unknown as string, /2/, "m")],
  ["match 'a' /a/g from lastIndex 5", (a) => a.match("a", Object.assign(/a/g, { lastIndex: 5 }), "m")],
  ["match 'ab' /b/y from lastIndex 1", (a) => a.match("ab", Object.assign(/b/y, { lastIndex: 1 }), "m")],
  ["deepStrictEqual (chai's own)", (a) => a.deepStrictEqual([1], [2], "m")],
  ["assert() itself", (a) => a(false, "m")]
]

describe("loopAssert", () => {
  it("passes and fails where chai does, with chai's message", () => {
    let failed = 0
    for (const [what, call] of cases) {
      const expected = failure(() => call(chai))
      chai.strictEqual(failure(() => call(assert)), expected, what)
      if (expected !== undefined) failed++
    }
    chai.strictEqual(failed, 16)
  })

  it("has every method of chai's assert", () => {
    const theirs = chai as unknown as Record<string, unknown>
    const ours = assert as unknown as Record<string, unknown>
    const methods = Object.getOwnPropertyNames(chai).filter((k) => typeof theirs[k] === "function")
    chai.isAbove(methods.length, 100)
    chai.deepStrictEqual(methods.filter((k) => typeof ours[k] !== "function"), [])
  })
})
