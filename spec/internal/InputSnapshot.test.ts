/**
 * The guarded snapshot every decoder starts from, and the bounded rendering every message uses:
 * hostile input (throwing getters and Proxy traps, cycles, deep nesting, huge strings, arrays
 * and objects, functions, symbols) becomes a typed refusal naming the field, each bound is
 * accepted at its value and refused one past it, and no message echoes a huge value.
 */
import { assert, describe, it } from "@effect/vitest"
import { Result } from "effect"
import { renderValue, truncate } from "../../src/internal/boundedText.ts"
import { defaultLimits, type Shape, snapshot } from "../../src/internal/InputSnapshot.ts"
import type { DamonError } from "../../src/model/DamonError.ts"

const refusal = (r: Result.Result<unknown, DamonError>): DamonError => {
  if (Result.isSuccess(r)) throw new Error(`expected a refusal, got ${renderValue(r.success)}`)
  return r.failure
}

const nested = (depth: number): unknown => {
  let v: unknown = 0
  for (let i = 0; i < depth; i++) v = [v]
  return v
}

describe("InputSnapshot.snapshot", () => {
  it("copies plain data into fresh plain objects and arrays; bigints and undefined are kept", () => {
    const input = { a: [1, "x", true, null, undefined, 5n], b: { c: { d: 1 } } }
    const copy = Result.getOrThrow(snapshot(input, ""))
    assert.deepStrictEqual(copy, input)
    assert.notStrictEqual(copy, input)
    assert.notStrictEqual((copy as typeof input).b, input.b)
  })

  it("reads each property once: a getter that answers differently on a second read is copied as first read", () => {
    let reads = 0
    const input = {
      get n() {
        reads++
        return reads === 1 ? 1 : "changed"
      }
    }
    const copy = Result.getOrThrow(snapshot(input, "attrs")) as { n: unknown }
    assert.strictEqual(copy.n, 1)
    assert.strictEqual(copy.n, 1)
    assert.strictEqual(reads, 1)
  })

  it("a throwing getter or Proxy trap is an InvalidArgument naming the field", () => {
    const getter = { ok: 1, get bad(): number { throw new Error("getter boom") } }
    const e1 = refusal(snapshot({ schemes: [getter] }, ""))
    assert.strictEqual(e1.errno, "EINVAL")
    assert.strictEqual(e1.message, "schemes[0].bad: (unreadable) is invalid: reading it threw: getter boom")
    const traps = ["get", "ownKeys", "getOwnPropertyDescriptor"] as const
    for (const trap of traps) {
      const proxy = new Proxy({ x: 1 }, { [trap]: () => { throw new Error(`${trap} boom`) } })
      const e = refusal(snapshot({ attrs: proxy }, ""))
      assert.include(e.message, `attrs`, trap)
      assert.include(e.message, "reading it threw", trap)
    }
    const { proxy, revoke } = Proxy.revocable([], {})
    revoke()
    assert.include(refusal(snapshot({ targets: proxy }, "")).message, "targets: (unreadable) is invalid")
    // a thrown non-Error, even one that cannot be printed, is described safely
    const weird = new Proxy({}, { ownKeys: () => { throw new Proxy({}, { get: () => { throw new Error("x") } }) } })
    assert.include(refusal(snapshot(weird, "options")).message, "options: (unreadable) is invalid")
  })

  it("a value containing itself is refused; the same object twice (not a cycle) is copied twice", () => {
    const cyclic: Record<string, unknown> = { ops: "paddr" }
    cyclic["attrs"] = { back: cyclic }
    assert.strictEqual(refusal(snapshot(cyclic, "")).message, "attrs.back: (a cycle) is invalid: must not contain itself")
    const shared = { start: 0, end: 4096 }
    const copy = Result.getOrThrow(snapshot({ a: shared, b: [shared, shared] }, "")) as { a: unknown; b: Array<unknown> }
    assert.deepStrictEqual(copy.b, [shared, shared])
  })

  it("nesting: accepted at maxDepth levels, refused one deeper (a 20 000-deep array is refused at once)", () => {
    assert.isTrue(Result.isSuccess(snapshot(nested(defaultLimits.maxDepth), "")))
    const e = refusal(snapshot(nested(defaultLimits.maxDepth + 1), "targets"))
    assert.include(e.message, `is invalid: values nest at most ${defaultLimits.maxDepth} levels deep`)
    assert.include(refusal(snapshot(nested(20_000), "")).message, "(nested too deep)")
  })

  it("strings: accepted at maxStringLength characters, refused one past; a 100 MB string is not echoed", () => {
    const max = defaultLimits.maxStringLength
    assert.isTrue(Result.isSuccess(snapshot({ ops: "x".repeat(max) }, "")))
    assert.strictEqual(
      refusal(snapshot({ ops: "x".repeat(max + 1) }, "")).message,
      `ops: (a string of ${max + 1} characters) is invalid: must be at most ${max} characters`
    )
    const huge = refusal(snapshot({ ops: "y".repeat(100_000_000) }, ""))
    assert.isBelow(huge.message.length, 200)
  })

  it("arrays: a shape's limit, and the default, accept the limit and refuse one past with ENOMEM", () => {
    const shape: Shape = { fields: { targets: { maxItems: { max: 3, what: "targets per context" } } } }
    assert.isTrue(Result.isSuccess(snapshot({ targets: [1, 2, 3] }, "", shape)))
    const e = refusal(snapshot({ targets: [1, 2, 3, 4] }, "", shape))
    assert.strictEqual(e.errno, "ENOMEM")
    assert.strictEqual(e.message, "out of memory: targets: 4 is past a limit: at most 3 targets per context")
    const max = defaultLimits.maxItems
    assert.isTrue(Result.isSuccess(snapshot(new Array(max).fill(0), "")))
    assert.strictEqual(refusal(snapshot(new Array(max + 1).fill(0), "xs")).errno, "ENOMEM")
    // the length is checked before any element is read: a sparse array claiming 2^32 - 1 entries
    assert.strictEqual(refusal(snapshot(new Array(2 ** 32 - 1), "xs")).errno, "ENOMEM")
  })

  it("objects: maxFields accepted, one more refused; total values over maxValues refused with ENOMEM", () => {
    const fields = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`f${i}`, i]))
    assert.isTrue(Result.isSuccess(snapshot(fields(defaultLimits.maxFields), "")))
    assert.strictEqual(refusal(snapshot(fields(defaultLimits.maxFields + 1), "attrs")).errno, "ENOMEM")
    const limits = { ...defaultLimits, maxValues: 10 }
    assert.isTrue(Result.isSuccess(snapshot([1, 2, 3, 4, 5, 6, 7, 8, 9], "", {}, limits)))
    const e = refusal(snapshot([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], "", {}, limits))
    assert.strictEqual(e.message, "out of memory: (input): more than 10 values: at most 10 values in one input")
  })

  it("functions and symbols are refused by field; `__proto__` stays a plain field; skipped fields are not read", () => {
    assert.strictEqual(refusal(snapshot({ attrs: () => 1 }, "")).message, "attrs: (a function) is invalid: a function is not a value here")
    assert.strictEqual(refusal(snapshot({ ops: Symbol("s") }, "")).message, "ops: Symbol(s) is invalid: a symbol is not a value here")
    const withProto = JSON.parse("{\"__proto__\": {\"polluted\": true}}") as object
    const copy = Result.getOrThrow(snapshot(withProto, "")) as Record<string, unknown>
    assert.deepStrictEqual(Object.keys(copy), ["__proto__"])
    assert.strictEqual(Object.getPrototypeOf(copy), Object.prototype)
    const shape: Shape = { fields: { target: { skip: true } } }
    const skipped = Result.getOrThrow(snapshot({ a: 1, get target(): number { throw new Error("read") } }, "", shape))
    assert.deepStrictEqual(skipped, { a: 1 })
  })
})

describe("boundedText", () => {
  it("renderValue is bounded and total: huge strings and bigints, cycles, deep and unreadable values", () => {
    assert.isBelow(renderValue("z".repeat(100_000_000)).length, 300)
    assert.strictEqual(renderValue(2n ** 64n), "18446744073709551616")
    assert.strictEqual(renderValue(2n ** 100_000n), "(a bigint of about 100004 bits)")
    const cyclic: Record<string, unknown> = {}
    cyclic["self"] = cyclic
    assert.strictEqual(renderValue(cyclic), "{\"self\":(cycle)}")
    assert.strictEqual(renderValue(Number.NaN), "NaN")
    assert.strictEqual(renderValue(Symbol("q")), "Symbol(q)")
    assert.strictEqual(renderValue(() => 1), "(a function)")
    assert.strictEqual(renderValue(new Proxy({}, { ownKeys: () => { throw new Error("no") } })), "{... (unreadable)")
    assert.strictEqual(renderValue(new Proxy({}, { getPrototypeOf: () => { throw new Error("no") } })), "{... (unreadable)")
    assert.isBelow(renderValue(new Array(1_000_000).fill(123456)).length, 300)
  })

  it("truncate keeps short texts and counts what it cuts", () => {
    assert.strictEqual(truncate("abc", 5), "abc")
    assert.strictEqual(truncate("abcdefgh", 5), "abcde... (3 more characters)")
  })
})
