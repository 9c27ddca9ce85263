/**
 * How the admin tree's u64 values become the library's numbers when a context is built, and how
 * running values are shown back. The tree keeps every `unsigned long` exactly (bigint); inside,
 * addresses, sizes, times and counts are safe-integer numbers. Each file follows one rule
 * (documented per file in `docs/sysfs.md`):
 *
 * - **saturate**: values from 2^53-1 up are held as 2^53-1, because no quantity they are
 *   compared with or added to can reach that far in the library (times are bounded by the
 *   kdamond clock, sizes and addresses by the 53-bit address space, counts by what a run can
 *   perform), so 2^53-1 and the kernel's `ULONG_MAX` behave the same;
 * - **u32**: the kernel copies the value into an `unsigned int` field, so it keeps the low 32
 *   bits, exactly as the kernel does;
 * - **address**: region addresses are refused above 2^53-1 (a region's size is used by the
 *   split, merge, access patterns and quotas, so no saturation keeps the kernel's behaviour).
 *
 * Pure.
 */
import * as Result from "effect/Result"
import { ULONG_MAX_SAFE } from "../internal/uint.ts"
import { type DamonError, invalidArgument } from "../model/DamonError.ts"
import type { GoalMetric } from "../model/Damos.ts"
import { U32_MAX, U64_MAX } from "./Kstrtox.ts"

const MAX_SAFE = BigInt(ULONG_MAX_SAFE)

/** A u64 held as a number: values at or above 2^53-1 become 2^53-1 (the library's "no limit"). */
export const saturate = (v: bigint): number => (v >= MAX_SAFE ? ULONG_MAX_SAFE : Number(v))

/** A u64 assigned to an `unsigned int` field: the low 32 bits, as C's conversion keeps them. */
export const truncateU32 = (v: bigint): number => Number(v & U32_MAX)

/**
 * A region address: refused above 2^53-1 with an `InvalidArgument` naming the file, because the
 * library's address space (and every size derived from it) is 53 bits wide.
 */
export const address = (path: string, v: bigint): Result.Result<number, DamonError> =>
  v > MAX_SAFE
    ? Result.fail(invalidArgument(path, v, "is beyond the library's 53-bit address space (largest address 9007199254740991)"))
    : Result.succeed(Number(v))

/** Score at or above which both goal tuners behave the same (`damon_feed_loop_next_input()`). */
const SCORE_CAP = 20000n
const BP = 10000n

/**
 * A quota goal's target and current value as the library holds them, with the same goal score
 * (`mult_frac(current, 10000, target)`, the only use of the two values).
 *
 * **Details**
 * Values that fit pass unchanged. A `user_input` goal with a value above 2^53-1 is held as
 * `current = min(score, 20000)`, `target = 10000`: the same score, capped where both tuners stop
 * telling scores apart (20000 and more drops the consist tuner to its minimum input; 10000 and
 * more zeroes the temporal tuner). A measured metric's target saturates: its current value (basis
 * points, or PSI microseconds per window) times 10000 stays below 2^53-1, so the score is the
 * same (0 whenever the kernel's target exceeds 2^53-1).
 */
export const goalValues = (
  metric: GoalMetric,
  target: bigint,
  current: bigint
): { readonly targetValue: number; readonly currentValue: number } => {
  const fits = target <= MAX_SAFE && current <= MAX_SAFE
  if (metric !== "user_input") return { targetValue: saturate(target), currentValue: 0 }
  if (fits) return { targetValue: Number(target), currentValue: Number(current) }
  const score = (current / target) * BP + ((current % target) * BP) / target
  return { targetValue: Number(BP), currentValue: Number(score < SCORE_CAP ? score : SCORE_CAP) }
}

/**
 * What a file shows after a copy from the running context: the tree's own value when it is what
 * the running value was built from (so a saturated value reads back as written), else the running
 * value.
 */
export const shownAfterCopy = (tree: bigint, running: number): bigint =>
  saturate(tree) === running ? tree : BigInt(Math.floor(running))

/**
 * `quotas/effective_bytes` for a running `esz`: the library's saturated "unlimited" is what the
 * kernel would compute with its `ULONG_MAX` intermediate, capped by the size quota: the size quota
 * written in `bytes` when it is set, else `ULONG_MAX`.
 */
export const shownEffectiveSz = (esz: number, treeSz: bigint): bigint => {
  if (esz < ULONG_MAX_SAFE) return BigInt(Math.floor(esz))
  return treeSz >= MAX_SAFE ? treeSz : U64_MAX
}
