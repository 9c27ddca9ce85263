/**
 * The feedback loop DAMON uses to steer an input toward a goal score: the intervals auto-tuner
 * and the DAMOS quota goals both call it. Mirrors `damon_feed_loop_next_input()`.
 * Pure: no clock, no randomness.
 */
import { ULONG_MAX_BIG } from "../internal/uint.ts"

const GOAL = 10000n
const MIN_INPUT = 10000n

/**
 * The next input expected to reach the goal score of 10000 from `lastInput`, which produced
 * `score`: `max(last * (1 + (goal - score) / goal), 10000)`, in unsigned 64-bit arithmetic.
 *
 * **Details**
 * Mirrors `damon_feed_loop_next_input()` in `mm/damon/core.c`, including its overflow guards:
 * the compensation is computed as `last / goal * diff` when `last * diff` would overflow, and an
 * increase saturates at `ULONG_MAX`. A score of 20000 or more drops straight to the minimum.
 */
export const feedLoopNextInput = (lastInput: bigint, score: bigint): bigint => {
  if (score === GOAL) return lastInput
  if (score >= GOAL * 2n) return MIN_INPUT
  const overAchieving = score > GOAL
  const diff = overAchieving ? score - GOAL : GOAL - score
  const compensation = lastInput < ULONG_MAX_BIG / diff ? (lastInput * diff) / GOAL : (lastInput / GOAL) * diff
  if (overAchieving) {
    const next = lastInput - compensation
    return next > MIN_INPUT ? next : MIN_INPUT
  }
  if (lastInput < ULONG_MAX_BIG - compensation) return lastInput + compensation
  return ULONG_MAX_BIG
}
