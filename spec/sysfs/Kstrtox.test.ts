import { assert, describe, it } from "@effect/vitest"
import { Result } from "effect"
import { kstrtobool, kstrtoint, kstrtoul, kstrtouint, sysfsStreq } from "../../src/sysfs/Kstrtox.ts"

const show = <A>(r: Result.Result<A, { readonly errno: string }>): string =>
  Result.isSuccess(r) ? String(r.success) : r.failure.errno

describe("Kstrtox", () => {
  describe("kstrtoul", () => {
    const cases: ReadonlyArray<readonly [string, string]> = [
      ["0", "0"],
      ["42", "42"],
      ["42\n", "42"],
      ["+42", "42"],
      ["0x1f", "31"],
      ["0X1F\n", "31"],
      ["017", "15"],
      ["0", "0"],
      ["18446744073709551615", "18446744073709551615"],
      ["0xffffffffffffffff", "18446744073709551615"],
      ["18446744073709551616", "ERANGE"],
      ["99999999999999999999999x", "ERANGE"],
      ["", "EINVAL"],
      ["\n", "EINVAL"],
      ["-1", "EINVAL"],
      [" 1", "EINVAL"],
      ["1 ", "EINVAL"],
      ["1\n\n", "EINVAL"],
      ["08", "EINVAL"],
      ["0x", "EINVAL"],
      ["0xg", "EINVAL"],
      ["++1", "EINVAL"],
      ["1e3", "EINVAL"],
      ["abc", "EINVAL"],
      ["12\u00003", "12"]
    ]
    for (const [input, expected] of cases) {
      it(`kstrtoul ${JSON.stringify(input)} -> ${expected}`, () => {
        assert.strictEqual(show(kstrtoul(input)), expected)
      })
    }
  })

  describe("kstrtoint", () => {
    const cases: ReadonlyArray<readonly [string, string]> = [
      ["-1", "-1"],
      ["-0", "0"],
      ["+7\n", "7"],
      ["-0x10", "-16"],
      ["2147483647", "2147483647"],
      ["2147483648", "ERANGE"],
      ["-2147483648", "-2147483648"],
      ["-2147483649", "ERANGE"],
      ["-9223372036854775809", "ERANGE"],
      ["-+1", "EINVAL"],
      ["+-1", "EINVAL"],
      ["-", "EINVAL"],
      ["x", "EINVAL"]
    ]
    for (const [input, expected] of cases) {
      it(`kstrtoint ${JSON.stringify(input)} -> ${expected}`, () => {
        assert.strictEqual(show(kstrtoint(input)), expected)
      })
    }
  })

  describe("kstrtouint", () => {
    const cases: ReadonlyArray<readonly [string, string]> = [
      ["4294967295", "4294967295"],
      ["4294967296", "ERANGE"],
      ["0x100000000", "ERANGE"],
      ["-1", "EINVAL"],
      ["1000\n", "1000"]
    ]
    for (const [input, expected] of cases) {
      it(`kstrtouint ${JSON.stringify(input)} -> ${expected}`, () => {
        assert.strictEqual(show(kstrtouint(input)), expected)
      })
    }
  })

  describe("kstrtobool", () => {
    const cases: ReadonlyArray<readonly [string, string]> = [
      ["Y", "true"],
      ["y\n", "true"],
      ["yes please", "true"],
      ["1", "true"],
      ["t", "true"],
      ["True", "true"],
      ["on", "true"],
      ["ON\n", "true"],
      ["N", "false"],
      ["no", "false"],
      ["0", "false"],
      ["false", "false"],
      ["off", "false"],
      ["oF", "false"],
      ["o", "EINVAL"],
      ["ox", "EINVAL"],
      ["", "EINVAL"],
      ["2", "EINVAL"],
      [" y", "EINVAL"]
    ]
    for (const [input, expected] of cases) {
      it(`kstrtobool ${JSON.stringify(input)} -> ${expected}`, () => {
        assert.strictEqual(show(kstrtobool(input)), expected)
      })
    }
  })

  describe("sysfsStreq", () => {
    it("sysfsStreq - ignores one trailing newline on either side, nothing else", () => {
      assert.isTrue(sysfsStreq("on", "on"))
      assert.isTrue(sysfsStreq("on\n", "on"))
      assert.isTrue(sysfsStreq("on", "on\n"))
      assert.isTrue(sysfsStreq("", "\n"))
      assert.isFalse(sysfsStreq("on\n\n", "on"))
      assert.isFalse(sysfsStreq(" on", "on"))
      assert.isFalse(sysfsStreq("On", "on"))
      assert.isFalse(sysfsStreq("o", "on"))
    })
  })
})
