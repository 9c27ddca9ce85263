/**
 * Unsigned integer helpers that reproduce the kernel's C arithmetic on JavaScript numbers.
 *
 * Addresses, sizes and intervals are safe-integer `number`s (the kernel's `unsigned long`
 * values that matter fit in 53 bits); region counters are `u32` and can wrap, so the wrap is
 * reproduced explicitly where the kernel relies on it.
 *
 * @internal
 */

/** Largest value of a kernel `unsigned int` (u32). */
export const UINT_MAX = 0xffff_ffff

/** Largest value of a kernel `unsigned long` that the project represents exactly inside. */
export const ULONG_MAX_SAFE = Number.MAX_SAFE_INTEGER

/** The kernel ABI's `ULONG_MAX` (2^64 - 1), as text and bigint, for the interfaces that print it. */
export const ULONG_MAX_BIG = 18446744073709551615n

/** Truncates to u32, like assigning to an `unsigned int`. */
export const u32 = (n: number): number => n >>> 0

/** Floor division of non-negative integers (C `/` on unsigned operands). */
export const udiv = (a: number, b: number): number => Math.floor(a / b)

/**
 * `ALIGN_DOWN(x, a)`: rounds `x` down to a multiple of `a`. For the non-negative integers below
 * 2^53 it is given, a division and a floor (exact there), not a floating-point remainder, which
 * compiles to a library call once `x` leaves the 32-bit range (addresses and sizes always do).
 */
export const alignDown = (x: number, a: number): number => (x >= 0 ? Math.floor(x / a) * a : x - (x % a))

/** `ALIGN(x, a)`: rounds `x` up to a multiple of `a`. */
export const alignUp = (x: number, a: number): number => {
  const rem = x % a
  return rem === 0 ? x : x + (a - rem)
}

/**
 * `mult_frac(x, n, d)`: `x * n / d` computed as `(x / d) * n + ((x % d) * n) / d` so that the
 * intermediate product stays small, exactly as the kernel does.
 */
export const multFrac = (x: number, n: number, d: number): number => {
  const q = Math.floor(x / d)
  const r = x % d
  return q * n + Math.floor((r * n) / d)
}

/** `x * n / d` with floor semantics, exact for any safe-integer inputs (falls back to bigint). */
export const mulDiv = (x: number, n: number, d: number): number => {
  const p = x * n
  if (Number.isSafeInteger(p)) return Math.floor(p / d)
  return Number((BigInt(x) * BigInt(n)) / BigInt(d))
}

/** Absolute difference of two counters, as the kernel's `abs()` on a signed difference. */
export const absDiff = (a: number, b: number): number => (a > b ? a - b : b - a)

/** True when `n` is a positive safe integer that is a power of two. */
export const isPowerOfTwo = (n: number): boolean =>
  Number.isSafeInteger(n) && n > 0 && 2 ** Math.round(Math.log2(n)) === n

/** `(a * wa + b * wb) / (wa + wb)` with floor semantics, exact even when the products exceed 2^53. */
export const weightedAverage = (a: number, wa: number, b: number, wb: number): number => {
  const num = a * wa + b * wb
  if (Number.isSafeInteger(num)) return Math.floor(num / (wa + wb))
  return Number((BigInt(a) * BigInt(wa) + BigInt(b) * BigInt(wb)) / BigInt(wa + wb))
}
