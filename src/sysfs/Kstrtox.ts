/**
 * The kernel's text parsers behind every sysfs `store` handler of the DAMON admin tree:
 * `kstrtoull()` / `kstrtoul()`, `kstrtoll()` / `kstrtoint()`, `kstrtouint()` and `kstrtobool()`
 * (`lib/kstrtox.c`), and `sysfs_streq()` (`lib/string.c`). Integers come back as bigints so
 * that every u64 round-trips exactly. Pure; does not model `simple_strto*()` or other bases
 * than the auto-detected one (base 0), which is the only one DAMON uses.
 */
import * as Result from "effect/Result"

/** The errno a failed parse returns: `EINVAL` for malformed text, `ERANGE` for overflow. */
export type ParseErrno = "EINVAL" | "ERANGE"

/** Why a text did not parse. */
export interface ParseFailure {
  readonly errno: ParseErrno
  readonly rule: string
}

/** `ULLONG_MAX` (2^64 - 1), the kernel ABI's widest unsigned value. */
export const U64_MAX = (1n << 64n) - 1n
/** `UINT_MAX` (2^32 - 1). */
export const U32_MAX = (1n << 32n) - 1n
/** `INT_MIN` and `INT_MAX`. */
export const INT_MIN = -(1n << 31n)
export const INT_MAX = (1n << 31n) - 1n
const S64_LIMIT = 1n << 63n

const malformed = (what: string): ParseFailure => ({
  errno: "EINVAL",
  rule: `not ${what} (decimal, 0x-prefixed hex or 0-prefixed octal, one optional trailing newline)`
})
const overflow = (what: string): ParseFailure => ({ errno: "ERANGE", rule: `out of range for ${what}` })

/** The text a C handler sees: everything before the first NUL. */
const cString = (s: string): string => {
  const nul = s.indexOf("\0")
  return nul < 0 ? s : s.slice(0, nul)
}

/**
 * Parses an unsigned integer with base auto-detection; `undefined` = malformed, `"overflow"` =
 * more than 64 bits.
 *
 * **Details**
 * Mirrors `_parse_integer_fixup_radix()`, `_parse_integer()` and `_kstrtoull()` for base 0:
 * `0x` followed by a hex digit means hex, a leading `0` octal, else decimal; digits stop at the
 * first character invalid for the base; overflow is reported before trailing garbage; one
 * trailing `\n` is accepted.
 */
const kstrtoullUnsigned = (s: string): bigint | undefined | "overflow" => {
  let i = 0
  let base = 10n
  if (s[0] === "0") {
    const hex = (s[1] === "x" || s[1] === "X") && /^[0-9a-fA-F]$/.test(s[2] ?? "")
    base = hex ? 16n : 8n
    if (hex) i = 2
  }
  let res = 0n
  let consumed = 0
  let overflowed = false
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i)
    const lc = c | 0x20
    let val: number
    if (c >= 0x30 && c <= 0x39) val = c - 0x30
    else if (lc >= 0x61 && lc <= 0x66) val = lc - 0x61 + 10
    else break
    if (BigInt(val) >= base) break
    res = res * base + BigInt(val)
    if (res > U64_MAX) {
      overflowed = true
      res &= U64_MAX
    }
    consumed++
  }
  if (overflowed) return "overflow"
  if (consumed === 0) return undefined
  if (s[i] === "\n") i++
  return i === s.length ? res : undefined
}

/**
 * Parses an `unsigned long long` (the same as `unsigned long` on 64-bit kernels).
 *
 * **Details**
 * Mirrors `kstrtoull(s, 0, &res)` (and `kstrtoul()`): one leading `+` is allowed, `-` is not.
 */
export const kstrtoull = (text: string): Result.Result<bigint, ParseFailure> => {
  const s0 = cString(text)
  const s = s0[0] === "+" ? s0.slice(1) : s0
  const v = kstrtoullUnsigned(s)
  if (v === "overflow") return Result.fail(overflow("unsigned long"))
  return v === undefined ? Result.fail(malformed("an unsigned integer")) : Result.succeed(v)
}

/** `kstrtoul()`: identical to {@link kstrtoull} on 64-bit kernels. */
export const kstrtoul = kstrtoull

/**
 * Parses an `unsigned int`.
 *
 * **Details**
 * Mirrors `kstrtouint(s, 0, &res)`: `kstrtoull()`, then `-ERANGE` above `UINT_MAX`.
 */
export const kstrtouint = (text: string): Result.Result<number, ParseFailure> => {
  const v = kstrtoull(text)
  if (Result.isFailure(v)) {
    return Result.fail(v.failure.errno === "ERANGE" ? overflow("unsigned int") : malformed("an unsigned integer"))
  }
  return v.success > U32_MAX ? Result.fail(overflow("unsigned int")) : Result.succeed(Number(v.success))
}

/**
 * Parses a `long long`.
 *
 * **Details**
 * Mirrors `kstrtoll(s, 0, &res)`: a leading `-` negates (no `+` after it), a leading `+` is
 * skipped; the result must fit in 64-bit two's complement (`-ERANGE` otherwise).
 */
export const kstrtoll = (text: string): Result.Result<bigint, ParseFailure> => {
  const s = cString(text)
  if (s[0] === "-") {
    const v = kstrtoullUnsigned(s.slice(1))
    if (v === "overflow") return Result.fail(overflow("long long"))
    if (v === undefined) return Result.fail(malformed("an integer"))
    return v > S64_LIMIT ? Result.fail(overflow("long long")) : Result.succeed(-v)
  }
  const v = kstrtoull(s)
  if (Result.isFailure(v)) {
    return Result.fail(v.failure.errno === "ERANGE" ? overflow("long long") : malformed("an integer"))
  }
  return v.success >= S64_LIMIT ? Result.fail(overflow("long long")) : Result.succeed(v.success)
}

/**
 * Parses an `int`.
 *
 * **Details**
 * Mirrors `kstrtoint(s, 0, &res)`: `kstrtoll()`, then `-ERANGE` outside `[INT_MIN, INT_MAX]`.
 */
export const kstrtoint = (text: string): Result.Result<number, ParseFailure> => {
  const v = kstrtoll(text)
  if (Result.isFailure(v)) {
    return Result.fail(v.failure.errno === "ERANGE" ? overflow("int") : malformed("an integer"))
  }
  return v.success < INT_MIN || v.success > INT_MAX ? Result.fail(overflow("int")) : Result.succeed(Number(v.success))
}

/**
 * Parses a boolean the way `kstrtobool()` does: only the first character counts (`YyTt1` true,
 * `NnFf0` false), or the first two for `on`/`off` (`[oO][nN]`, `[oO][fF]`).
 *
 * **Details**
 * Mirrors `kstrtobool()` in `lib/kstrtox.c` (since 5.19, which added `t`/`f`). Anything after
 * the deciding characters is ignored, so `"yes please"` is true.
 */
export const kstrtobool = (text: string): Result.Result<boolean, ParseFailure> => {
  const s = cString(text)
  const c = s[0]
  if (c !== undefined && "YyTt1".includes(c)) return Result.succeed(true)
  if (c !== undefined && "NnFf0".includes(c)) return Result.succeed(false)
  if (c === "o" || c === "O") {
    if (s[1] === "n" || s[1] === "N") return Result.succeed(true)
    if (s[1] === "f" || s[1] === "F") return Result.succeed(false)
  }
  return Result.fail({ errno: "EINVAL", rule: "not a boolean (Y/N, T/F, 1/0, on/off)" })
}

/**
 * Compares two strings ignoring one trailing newline on either side, the way every sysfs
 * keyword file matches its input.
 *
 * **Details**
 * Mirrors `sysfs_streq()` in `lib/string.c`; both sides are read up to their first NUL.
 */
export const sysfsStreq = (a: string, b: string): boolean => {
  const s1 = cString(a)
  const s2 = cString(b)
  if (s1 === s2) return true
  if (s2 === `${s1}\n`) return true
  return s1 === `${s2}\n`
}
