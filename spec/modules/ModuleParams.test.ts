import { assert, describe, it } from "@effect/vitest"
import { Result } from "effect"
import { makeRng } from "../../src/core/Rng.ts"
import { applyPatch, type InputParam, PARAM_ULONG_MAX, show, store } from "../../src/modules/ModuleParams.ts"

interface P {
  readonly a: number
  readonly b: boolean
  readonly unit: number
}
const table: ReadonlyArray<InputParam<P>> = [
  { name: "param_a", key: "a", kind: "ulong" },
  { name: "param_b", key: "b", kind: "bool" },
  { name: "addr_unit", key: "unit", kind: "ulong", nonZero: true }
]
const current: P = { a: 7, b: false, unit: 1 }

const failure = <A>(r: Result.Result<A, { readonly reason: { readonly _tag: string }; readonly message: string }>) => {
  assert.isTrue(Result.isFailure(r))
  return Result.isFailure(r) ? r.failure : undefined
}

describe("ModuleParams", () => {
  describe("show", () => {
    it("show - prints param_get_bool/ulong/int formats with a trailing newline", () => {
      assert.strictEqual(show("bool", true), "Y\n")
      assert.strictEqual(show("bool", false), "N\n")
      assert.strictEqual(show("ulong", 134217728), "134217728\n")
      assert.strictEqual(show("int", -1), "-1\n")
    })
  })

  describe("store", () => {
    it("store - parses bools like kstrtobool and ulongs like kstrtoul (base 0, one trailing newline)", () => {
      const b = { name: "x", kind: "bool" } as const
      const u = { name: "x", kind: "ulong" } as const
      for (const [text, v] of [["Y", true], ["y\n", true], ["1", true], ["on", true], ["N", false], ["0\n", false], ["off", false]] as const) {
        assert.strictEqual(Result.getOrThrow(store("m", b, text)), v, text)
      }
      for (const [text, v] of [["10", 10], ["10\n", 10], ["0x10", 16], ["010", 8], ["+5", 5]] as const) {
        assert.strictEqual(Result.getOrThrow(store("m", u, text)), v, text)
      }
    })

    it("store - malformed text is InvalidArgument naming <prefix>.<name> and the text", () => {
      const e = failure(store("damon_reclaim", { name: "min_age", kind: "ulong" }, "abc"))!
      assert.strictEqual(e.reason._tag, "InvalidArgument")
      assert.include(e.message, "damon_reclaim.min_age: \"abc\" is invalid")
      assert.strictEqual(failure(store("m", { name: "x", kind: "ulong" }, "-1"))!.reason._tag, "InvalidArgument")
      assert.strictEqual(failure(store("m", { name: "x", kind: "ulong" }, ""))!.reason._tag, "InvalidArgument")
      assert.strictEqual(failure(store("m", { name: "x", kind: "bool" }, "maybe"))!.reason._tag, "InvalidArgument")
    })

    it("store - more than 64 bits is OutOfRange (ERANGE); 2^53..2^64-1 cannot be honoured", () => {
      const e = failure(store("m", { name: "x", kind: "ulong" }, "18446744073709551616"))!
      assert.strictEqual(e.reason._tag, "OutOfRange")
      const big = failure(store("m", { name: "x", kind: "ulong" }, "18446744073709551615"))!
      assert.strictEqual(big.reason._tag, "InvalidArgument")
      assert.include(big.message, "cannot be honoured")
      assert.strictEqual(Result.getOrThrow(store("m", { name: "x", kind: "ulong" }, String(PARAM_ULONG_MAX))), PARAM_ULONG_MAX)
    })

    it("store - a nonZero parameter refuses 0 (addr_unit)", () => {
      const e = failure(store("damon_lru_sort", { name: "addr_unit", kind: "ulong", nonZero: true }, "0"))!
      assert.include(e.message, "damon_lru_sort.addr_unit: \"0\" is invalid: must not be 0")
    })

    it("store/show - every ulong up to 2^53-1 round-trips (seeded)", () => {
      const rng = makeRng(11)
      const u = { name: "x", kind: "ulong" } as const
      for (let i = 0; i < 2000; i++) {
        const v = Math.floor(rng.float() * 2 ** Math.floor(rng.float() * 54))
        const text = show("ulong", v)
        assert.strictEqual(Result.getOrThrow(store("m", u, text)), v)
        assert.strictEqual(Result.getOrThrow(store("m", u, `0x${v.toString(16)}`)), v)
      }
    })
  })

  describe("applyPatch", () => {
    it("applyPatch - applies a valid patch", () => {
      assert.deepStrictEqual(Result.getOrThrow(applyPatch("m", table, current, { a: 1, b: true })), { a: 1, b: true, unit: 1 })
    })

    it("applyPatch - errors name the kernel parameter and the value; unknown keys are refused", () => {
      assert.include(failure(applyPatch("m", table, current, { a: -1 }))!.message, "m.param_a: -1 is invalid")
      assert.include(failure(applyPatch("m", table, current, { b: "Y" }))!.message, "m.param_b: \"Y\" is invalid")
      assert.include(failure(applyPatch("m", table, current, { unit: 0 }))!.message, "m.addr_unit: 0 is invalid: must not be 0")
      assert.include(failure(applyPatch("m", table, current, { zzz: 1 }))!.message, "m.zzz: 1 is invalid: unknown parameter")
      assert.strictEqual(failure(applyPatch("m", table, current, 5))!.reason._tag, "InvalidArgument")
    })

    it("applyPatch - all or nothing: a patch with one bad field changes nothing (seeded)", () => {
      const rng = makeRng(5)
      for (let i = 0; i < 500; i++) {
        const patch: Record<string, unknown> = {}
        if (rng.float() < 0.7) patch["a"] = rng.rand(0, 1000)
        if (rng.float() < 0.7) patch["b"] = rng.float() < 0.5
        const bad = rng.float() < 0.5
        if (bad) patch["unit"] = 0
        const before = { ...current }
        const r = applyPatch("m", table, current, patch)
        assert.deepStrictEqual(current, before)
        assert.strictEqual(Result.isFailure(r), bad)
        if (Result.isSuccess(r)) assert.deepStrictEqual(r.success, { ...current, ...patch })
      }
    })
  })
})
