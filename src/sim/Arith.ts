/**
 * Small arithmetic helpers of the simulator (float-safe for the address and size ranges it uses:
 * every value is an integer below 2^53 or a fraction in [0, 1]).
 */

/** `x` rounded up to a multiple of `a`. */
export const alignUp = (x: number, a: number): number => Math.ceil(x / a) * a

/** `x` rounded down to a multiple of `a` (towards minus infinity). */
export const alignDown = (x: number, a: number): number => Math.floor(x / a) * a

/** `x` modulo `m`, in `[0, m)` for negative `x` too. */
export const mod = (x: number, m: number): number => ((x % m) + m) % m

/** `x` clamped to `[0, 1]`. */
export const clamp01 = (x: number): number => (x <= 0 ? 0 : x >= 1 ? 1 : x)
